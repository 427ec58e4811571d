// The dashboard's HTTP side over a real hub and Api: the page's files, the
// access rules (loopback, token, app credentials), CSRF refusals, the signed
// feed path and the API routes it forwards.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "crypto/base64.hpp"
#include "dashboard/assets.hpp"
#include "dashboard/dashboard.hpp"
#include "http_api/api_fixture.hpp"
#include "http_api/authenticate.hpp"

using namespace pws;
using namespace pws::dashboard;
using http_api::Request;
using http_api::Response;
using http_api::test::ApiFixture;

namespace {

constexpr std::string_view kToken = "0123456789abcdef-token";

struct DashboardFixture : ApiFixture {
  explicit DashboardFixture(DashboardSettings settings = default_settings())
      : dashboard(hub(), api, clock, std::move(settings)) {}

  static DashboardSettings default_settings() {
    DashboardSettings settings;
    settings.access.token = std::string(kToken);
    settings.version = "9.9.9";
    return settings;
  }

  /// A request as the browser on this machine sends it.
  static Request local(std::string method, std::string path, std::string body = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.from_loopback = true;
    r.host = "127.0.0.1:6001";
    if (r.method == "POST") {
      r.content_type = "application/json";
      r.origin = "http://127.0.0.1:6001";
    }
    return r;
  }

  /// A request from another machine, with an Authorization header.
  static Request remote(std::string method, std::string path, std::string authorization, std::string body = {}) {
    Request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.host = "pws.example.com";
    r.authorization = std::move(authorization);
    if (r.method == "POST") r.content_type = "application/json";
    return r;
  }

  Response handle(const Request& r) { return dashboard.handle(r); }

  Dashboard dashboard;
};

std::string basic(std::string_view key, std::string_view secret) {
  return "Basic " + crypto::base64_encode(std::string(key) + ":" + std::string(secret));
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

boost::json::object json_of(const Response& r) { return boost::json::parse(r.body).as_object(); }

std::vector<std::string> app_ids(const Response& r) {
  std::vector<std::string> ids;
  const auto body = json_of(r);
  for (const auto& app : body.at("apps").as_array())
    ids.emplace_back(app.as_object().at("id").as_string().c_str());
  return ids;
}

}  // namespace

TEST_CASE("the dashboard owns its base path and everything under it, nothing else") {
  DashboardFixture f;
  CHECK(f.dashboard.owns("/dashboard"));
  CHECK(f.dashboard.owns("/dashboard/"));
  CHECK(f.dashboard.owns("/dashboard/api/apps"));
  CHECK_FALSE(f.dashboard.owns("/dashboards"));
  CHECK_FALSE(f.dashboard.owns("/apps/1001/events"));
  CHECK_FALSE(f.dashboard.owns("/"));

  auto settings = DashboardFixture::default_settings();
  settings.path_prefix = "/ws";
  settings.path = "/debug";
  DashboardFixture prefixed(settings);
  CHECK(prefixed.dashboard.owns("/ws/debug/"));
  CHECK_FALSE(prefixed.dashboard.owns("/debug/"));
  const Response moved = prefixed.handle(DashboardFixture::local("GET", "/ws/debug"));
  CHECK(moved.status == 308);
  CHECK(header(moved, "Location") == "/ws/debug/");
}

TEST_CASE("the page and its files are served by exact name, with a strict content security policy") {
  DashboardFixture f;
  const Response moved = f.handle(DashboardFixture::local("GET", "/dashboard"));
  CHECK(moved.status == 308);
  CHECK(header(moved, "Location") == "/dashboard/");

  REQUIRE(find_asset("index.html") != nullptr);
  const Response page = f.handle(DashboardFixture::remote("GET", "/dashboard/", ""));
  CHECK(page.status == 200);  // static: no credentials needed, it holds no data
  CHECK(page.content_type == "text/html; charset=utf-8");
  CHECK(page.body == find_asset("index.html")->body);
  CHECK(header(page, "Content-Security-Policy").find("default-src 'none'") != std::string::npos);
  CHECK(header(page, "Content-Security-Policy").find("script-src 'self'") != std::string::npos);
  CHECK(header(page, "X-Content-Type-Options") == "nosniff");
  CHECK(header(page, "X-Frame-Options") == "DENY");

  for (const Asset& asset : embedded_assets()) {
    INFO(asset.name);
    const Response r = f.handle(DashboardFixture::local("GET", "/dashboard/" + std::string(asset.name)));
    CHECK(r.status == 200);
    CHECK(r.body == asset.body);
    CHECK(r.content_type == asset.content_type);
    CHECK(r.content_type != "application/octet-stream");
  }

  for (const char* path : {"/dashboard/nope.js", "/dashboard/../pws.toml", "/dashboard/%2e%2e/pws.toml",
                           "/dashboard//etc/passwd", "/dashboard/assets/app.js"}) {
    INFO(path);
    const Response r = f.handle(DashboardFixture::local("GET", path));
    CHECK(r.status == 404);
    CHECK(json_of(r).at("code").as_int64() == 404);
  }
  CHECK(f.handle(DashboardFixture::local("POST", "/dashboard/")).status == 405);
}

TEST_CASE("a browser on this machine opens every app without credentials") {
  DashboardFixture f;
  const Response r = f.handle(DashboardFixture::local("GET", "/dashboard/api/apps"));
  REQUIRE(r.status == 200);
  CHECK(header(r, "Cache-Control") == "no-store");
  const auto body = json_of(r);
  CHECK(body.at("access").as_string() == "loopback");
  CHECK(body.at("version").as_string() == "9.9.9");
  CHECK(body.at("feed_data_limit").as_int64() == 1024);
  CHECK(app_ids(r) == std::vector<std::string>{"1001", "3", "1002"});
  CHECK(r.body.find("pws-secret") == std::string::npos);  // never secrets
  CHECK(r.body.find("\"key\":\"pws-key\"") != std::string::npos);
  CHECK(r.body.find("\"enabled\":false") != std::string::npos);

  for (const char* host : {"localhost:6001", "[::1]:6001", "app.localhost", "127.1.2.3"}) {
    INFO(host);
    auto request = DashboardFixture::local("GET", "/dashboard/api/apps");
    request.host = host;
    CHECK(f.handle(request).status == 200);
  }
}

TEST_CASE("loopback alone is not enough: a rebound host name or open_on_loopback = false asks for credentials") {
  DashboardFixture f;
  for (const char* host : {"attacker.example:6001", "127.0.0.1.nip.io", "", "localhost.example.com"}) {
    INFO(host);
    auto request = DashboardFixture::local("GET", "/dashboard/api/apps");
    request.host = host;
    const Response r = f.handle(request);
    CHECK(r.status == 401);
    CHECK(header(r, "WWW-Authenticate").empty());  // no native browser dialog
  }

  auto settings = DashboardFixture::default_settings();
  settings.access.open_on_loopback = false;
  DashboardFixture closed(settings);
  CHECK(closed.handle(DashboardFixture::local("GET", "/dashboard/api/apps")).status == 401);
  auto with_token = DashboardFixture::local("GET", "/dashboard/api/apps");
  with_token.authorization = "Bearer " + std::string(kToken);
  CHECK(closed.handle(with_token).status == 200);
}

TEST_CASE("from elsewhere: the token opens every app, an app's key and secret open that app only") {
  DashboardFixture f;
  const Response none = f.handle(DashboardFixture::remote("GET", "/dashboard/api/apps", ""));
  CHECK(none.status == 401);
  CHECK(json_of(none).at("error").as_string() == "Sign in with an app's key and secret, or the dashboard token");

  const Response token = f.handle(DashboardFixture::remote("GET", "/dashboard/api/apps", "Bearer " + std::string(kToken)));
  REQUIRE(token.status == 200);
  CHECK(json_of(token).at("access").as_string() == "token");
  CHECK(app_ids(token).size() == 3);
  CHECK(f.handle(DashboardFixture::remote("GET", "/dashboard/api/apps", "bearer  " + std::string(kToken) + " ")).status ==
        200);

  const Response app = f.handle(DashboardFixture::remote("GET", "/dashboard/api/apps", basic("pws-key", "pws-secret")));
  REQUIRE(app.status == 200);
  CHECK(json_of(app).at("access").as_string() == "app");
  CHECK(app_ids(app) == std::vector<std::string>{"1001"});
  CHECK(f.handle(DashboardFixture::remote("GET", "/dashboard/api/apps/3/statistics", basic("pws-key", "pws-secret")))
            .status == 403);
  CHECK(f.handle(DashboardFixture::remote("GET", "/dashboard/api/apps/1001/statistics", basic("pws-key", "pws-secret")))
            .status == 200);

  struct Case {
    std::string authorization;
    std::string_view message;
  };
  for (const Case& c : {Case{"Bearer wrong-token-0123456789", "Wrong dashboard token"},
                        Case{"Bearer " + std::string(kToken) + "x", "Wrong dashboard token"},
                        Case{basic("pws-key", "pws-secreT"), "Wrong app key or secret"},
                        Case{basic("no-such-key", "pws-secret"), "Wrong app key or secret"},
                        Case{basic("pws-key", ""), "Wrong app key or secret"},
                        Case{"Basic not*base64", "Wrong app key or secret"},
                        Case{"Basic " + crypto::base64_encode("no colon"), "Wrong app key or secret"},
                        Case{"Digest x", "Unsupported Authorization scheme; use Bearer <token> or Basic <key:secret>"}}) {
    INFO(c.authorization);
    const Response r = f.handle(DashboardFixture::remote("GET", "/dashboard/api/apps", c.authorization));
    CHECK(r.status == 401);
    CHECK(json_of(r).at("error").as_string() == c.message);
  }

  auto settings = DashboardFixture::default_settings();
  settings.access.token.clear();
  DashboardFixture no_token(settings);
  const Response r = no_token.handle(DashboardFixture::remote("GET", "/dashboard/api/apps", "Bearer "));
  CHECK(r.status == 401);
  const Response empty_bearer = no_token.handle(DashboardFixture::remote("GET", "/dashboard/api/apps", "Bearer x"));
  CHECK(json_of(empty_bearer).at("error").as_string() ==
        "No dashboard token is configured; sign in with an app's key and secret");
}

TEST_CASE("the feed path is signed for the app and verifies like pws tail's") {
  auto settings = DashboardFixture::default_settings();
  settings.path_prefix = "/ws";
  DashboardFixture f(settings);
  const Response r = f.handle(DashboardFixture::local("GET", "/ws/dashboard/api/apps/1001/feed"));
  REQUIRE(r.status == 200);
  const std::string path(json_of(r).at("path").as_string().c_str());
  REQUIRE(path.starts_with("/ws/feed?"));
  const std::string query = path.substr(path.find('?') + 1);
  auto params = http_api::parse_query(query);
  REQUIRE(params);
  CHECK(*http_api::find_param(*params, "app_id") == "1001");
  const auto& app = *f.hub().apps().find_by_id("1001");
  const http_api::SignedRequest signed_request{"GET", "/feed", "/feed", query, ""};
  CHECK(http_api::authenticate(app, signed_request, *params, f.clock.unix_seconds(), 600));

  CHECK(f.handle(DashboardFixture::local("GET", "/ws/dashboard/api/apps/9/feed")).status == 404);
  CHECK(f.handle(DashboardFixture::local("GET", "/ws/dashboard/api/apps/1002/feed")).status == 403);  // disabled
  CHECK(f.handle(DashboardFixture::local("POST", "/ws/dashboard/api/apps/1001/feed")).status == 405);
}

TEST_CASE("the send-event form goes through the HTTP API's own validation and publishing") {
  DashboardFixture f;
  const auto client = f.connect();
  f.subscribe(client, "orders");
  const std::string event = R"({"name":"created","channels":["orders"],"data":"{\"id\":1}"})";

  const Response sent = f.handle(DashboardFixture::local("POST", "/dashboard/api/apps/1001/events", event));
  CHECK(sent.status == 200);
  CHECK(sent.body == "{}");
  const auto received = f.outbox.channel_events_to(client);
  REQUIRE(received.size() == 1);
  CHECK(received[0] == R"({"event":"created","data":"{\"id\":1}","channel":"orders"})");

  const Response bad = f.handle(DashboardFixture::local(
      "POST", "/dashboard/api/apps/1001/events", R"({"name":"created","channels":["bad channel"],"data":"x"})"));
  CHECK(bad.status == 400);
  CHECK(json_of(bad).at("code").as_int64() == 400);
  CHECK(f.outbox.channel_events_to(client).size() == 1);

  CHECK(f.handle(DashboardFixture::local("GET", "/dashboard/api/apps/1001/events")).status == 405);
  CHECK(f.handle(DashboardFixture::local("POST", "/dashboard/api/apps/1002/events", event)).status == 403);  // disabled
}

TEST_CASE("state-changing requests from another site are refused (CSRF)") {
  DashboardFixture f;
  const auto client = f.connect();
  f.subscribe(client, "orders");
  const std::string event = R"({"name":"e","channels":["orders"],"data":"x"})";

  auto foreign = DashboardFixture::local("POST", "/dashboard/api/apps/1001/events", event);
  foreign.origin = "https://evil.example";
  CHECK(f.handle(foreign).status == 403);

  auto other_port = DashboardFixture::local("POST", "/dashboard/api/apps/1001/events", event);
  other_port.origin = "http://127.0.0.1:8080";
  CHECK(f.handle(other_port).status == 403);

  auto form = DashboardFixture::local("POST", "/dashboard/api/apps/1001/events", event);
  form.content_type = "text/plain";
  CHECK(f.handle(form).status == 415);

  CHECK(f.outbox.channel_events_to(client).empty());

  auto no_origin = DashboardFixture::local("POST", "/dashboard/api/apps/1001/events", event);
  no_origin.origin.clear();  // curl, scripts
  CHECK(f.handle(no_origin).status == 200);
}

TEST_CASE("statistics and channel queries are the HTTP API's answers") {
  DashboardFixture f;
  const auto client = f.connect();
  f.subscribe(client, "orders");

  const Response channels = f.handle(DashboardFixture::local("GET", "/dashboard/api/apps/1001/channels"));
  REQUIRE(channels.status == 200);
  CHECK(channels.body == R"({"channels":{"orders":{}}})");
  auto with_info = DashboardFixture::local("GET", "/dashboard/api/apps/1001/channels/orders");
  with_info.query = "info=subscription_count";
  const Response channel = f.handle(with_info);
  REQUIRE(channel.status == 200);
  CHECK(json_of(channel).at("subscription_count").as_int64() == 1);

  const Response statistics = f.handle(DashboardFixture::local("GET", "/dashboard/api/apps/1001/statistics"));
  REQUIRE(statistics.status == 200);
  CHECK(json_of(statistics).at("current").as_object().at("connections").as_int64() == 1);

  CHECK(f.handle(DashboardFixture::local("GET", "/dashboard/api/apps/1001/terminate")).status == 404);
  CHECK(f.handle(DashboardFixture::local("POST", "/dashboard/api/apps/1001/users/u/terminate_connections", "{}"))
            .status == 404);
  CHECK(f.handle(DashboardFixture::local("GET", "/dashboard/api/nothing")).status == 404);
  CHECK(f.handle(DashboardFixture::local("GET", "/dashboard/api/apps/404/statistics")).status == 404);
}

TEST_CASE("host_is_loopback names only this machine") {
  for (const char* yes : {"localhost", "LOCALHOST:80", "127.0.0.1", "127.255.0.9:6001", "[::1]", "[::1]:6001",
                          "a.b.localhost:1"})
    CHECK(host_is_loopback(yes));
  for (const char* no : {"", "example.com", "127.0.0.1.example.com", "localhost.example", "128.0.0.1", "[::2]:1",
                         "127.0.0", "::1x"})
    CHECK_FALSE(host_is_loopback(no));
}
