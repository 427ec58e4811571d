#include <catch2/catch.hpp>

#include "client/url.hpp"
#include "client/test_server.hpp"

using namespace pws;
using namespace pws::client;
using Catch::Matchers::Contains;
using test::ScopedEnv;

TEST_CASE("parse_url reads scheme, host, port and path prefix", "[client][url]") {
  auto url = parse_url("http://127.0.0.1:6001");
  REQUIRE(url.ok());
  CHECK_FALSE(url->tls);
  CHECK(url->host == "127.0.0.1");
  CHECK(url->port == 6001);
  CHECK(url->path_prefix.empty());

  url = parse_url("HTTPS://pws.example.com/realtime/");
  REQUIRE(url.ok());
  CHECK(url->tls);
  CHECK(url->host == "pws.example.com");
  CHECK(url->port == 443);
  CHECK(url->path_prefix == "/realtime");

  url = parse_url("http://example.com");
  REQUIRE(url.ok());
  CHECK(url->port == 80);

  url = parse_url("http://example.com/");
  REQUIRE(url.ok());
  CHECK(url->path_prefix.empty());

  url = parse_url("https://[::1]:6443/a/b");
  REQUIRE(url.ok());
  CHECK(url->host == "::1");
  CHECK(url->port == 6443);
  CHECK(url->path_prefix == "/a/b");
}

TEST_CASE("parse_url refuses what is not http[s]://host[:port][/prefix]", "[client][url]") {
  for (const char* bad : {"127.0.0.1:6001", "ws://127.0.0.1:6001", "ftp://x", "http://", "http://:80",
                          "http://host:0", "http://host:65536", "http://host:abc", "http://host:", "http://user@host",
                          "http://host/?x=1", "http://host/#frag", "http://[::1", "http://::1:80",
                          "http://[::1]x", "http://ho st"}) {
    INFO(bad);
    const auto url = parse_url(bad);
    REQUIRE_FALSE(url.ok());
    CHECK(url.error().code == Errc::InvalidConfig);
    CHECK_THAT(url.error().message, Contains(bad));
  }
}

TEST_CASE("Url::text writes the full URL with brackets around IPv6 hosts", "[client][url]") {
  CHECK(Url{false, "127.0.0.1", 6001, ""}.text() == "http://127.0.0.1:6001");
  CHECK(Url{true, "::1", 443, "/ws"}.text() == "https://[::1]:443/ws");
}

TEST_CASE("server_url derives the URL from the config's [server]", "[client][url]") {
  test::CleanClientEnv clean;
  registry::Config config;

  SECTION("no config: http://127.0.0.1:6001") {
    auto url = server_url(std::nullopt, config);
    REQUIRE(url.ok());
    CHECK(url->text() == "http://127.0.0.1:6001");
  }
  SECTION("wildcard hosts become the loopback address") {
    for (const char* host : {"0.0.0.0", "::", "", "[::]"}) {
      INFO(host);
      config.server.host = host;
      config.server.port = 7001;
      auto url = server_url(std::nullopt, config);
      REQUIRE(url.ok());
      CHECK(url->host == "127.0.0.1");
      CHECK(url->port == 7001);
    }
  }
  SECTION("a specific host is kept") {
    config.server.host = "10.1.2.3";
    auto url = server_url(std::nullopt, config);
    REQUIRE(url.ok());
    CHECK(url->host == "10.1.2.3");
  }
  SECTION("TLS gives https, the prefix is normalised") {
    config.server.tls.cert_path = "/etc/pws/cert.pem";
    config.server.tls.key_path = "/etc/pws/key.pem";
    config.server.path_prefix = "pws/";
    auto url = server_url(std::nullopt, config);
    REQUIRE(url.ok());
    CHECK(url->text() == "https://127.0.0.1:6001/pws");
  }
}

TEST_CASE("server_url: --url beats $PWS_URL beats the config", "[client][url]") {
  test::CleanClientEnv clean;
  registry::Config config;
  config.server.port = 7000;

  {
    ScopedEnv env("PWS_URL", "http://env.example:8000/env");
    auto url = server_url(std::nullopt, config);
    REQUIRE(url.ok());
    CHECK(url->text() == "http://env.example:8000/env");

    url = server_url(std::string("https://flag.example"), config);
    REQUIRE(url.ok());
    CHECK(url->text() == "https://flag.example:443");
  }
  {
    ScopedEnv env("PWS_URL", "");  // empty counts as unset
    auto url = server_url(std::nullopt, config);
    REQUIRE(url.ok());
    CHECK(url->port == 7000);
  }
  {
    ScopedEnv env("PWS_URL", "nonsense");
    auto url = server_url(std::nullopt, config);
    REQUIRE_FALSE(url.ok());
    CHECK_THAT(url.error().message, Contains("$PWS_URL"));
  }
  auto url = server_url(std::string("nonsense"), config);
  REQUIRE_FALSE(url.ok());
  CHECK_THAT(url.error().message, Contains("--url"));
}

TEST_CASE("parse_request_url keeps the path and query as the request target", "[client][url]") {
  auto url = parse_request_url("https://hooks.example.com/pusher/webhooks/?token=abc&x=1#frag");
  REQUIRE(url.ok());
  CHECK(url->server.tls);
  CHECK(url->server.host == "hooks.example.com");
  CHECK(url->server.port == 443);
  CHECK(url->server.path_prefix.empty());
  CHECK(url->target == "/pusher/webhooks/?token=abc&x=1");

  url = parse_request_url("http://127.0.0.1:8080");
  REQUIRE(url.ok());
  CHECK(url->server.port == 8080);
  CHECK(url->target == "/");

  url = parse_request_url("http://[::1]:9000?q=1");
  REQUIRE(url.ok());
  CHECK(url->server.host == "::1");
  CHECK(url->target == "/?q=1");

  for (const char* bad : {"ftp://x/", "https://user:pw@host/", "https://host:0/", "https:///x", "http://a b/",
                          "http://a/\r\nX: 1", "hooks.example.com/x"}) {
    INFO(bad);
    auto r = parse_request_url(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::InvalidConfig);
  }
}
