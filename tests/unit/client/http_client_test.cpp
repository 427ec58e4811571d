#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <thread>

#include "client/api_client.hpp"
#include "client/http_client.hpp"
#include "client/test_server.hpp"
#include "http_api/authenticate.hpp"

using namespace pws;
using namespace pws::client;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using test::Reply;
using test::TestServer;

namespace {

Url local(int port, std::string prefix = {}) { return Url{false, "127.0.0.1", port, std::move(prefix)}; }

TransportOptions quick(std::chrono::milliseconds timeout = 5000ms) {
  TransportOptions options;
  options.timeout = timeout;
  return options;
}

Reply answer(std::string raw) { return Reply{{std::move(raw)}, 0ms, false, false}; }

/// A complete response with a correct Content-Length.
Reply respond(std::string_view status, std::string_view body) {
  return answer("HTTP/1.1 " + std::string(status) + "\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
}

HttpResponse parsed(std::string_view raw, bool at_eof = true) {
  auto r = parse_response(raw, at_eof);
  if (!r.ok()) FAIL("parse error: " << r.error().message);
  if (!r->has_value()) FAIL("incomplete");
  return **r;
}

}  // namespace

// ---- parse_response ---------------------------------------------------------------------

TEST_CASE("parse_response: status, lower-cased headers and a Content-Length body", "[client][http]") {
  const auto r = parsed("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}extra", false);
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
  REQUIRE(find_header(r, "content-type") != nullptr);
  CHECK(*find_header(r, "content-type") == "application/json");
  CHECK(find_header(r, "x-missing") == nullptr);
}

TEST_CASE("parse_response: waits for the whole head and body", "[client][http]") {
  const std::string raw = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  for (std::size_t cut = 0; cut < raw.size(); ++cut) {
    INFO(cut);
    auto r = parse_response(std::string_view(raw).substr(0, cut), false);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    // The same bytes followed by the end of the stream are a truncated answer.
    auto eof = parse_response(std::string_view(raw).substr(0, cut), true);
    REQUIRE_FALSE(eof.ok());
    CHECK(eof.error().code == Errc::Io);
  }
  CHECK(parsed(raw, false).body == "hello");
}

TEST_CASE("parse_response: chunked bodies", "[client][http]") {
  const std::string raw =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\n{\"a\"\r\nA;ext=1\r\n:123456789\r\n1\r\n}\r\n0\r\nX-Trailer: 1\r\n\r\n";
  for (std::size_t cut = 0; cut < raw.size(); ++cut) {
    INFO(cut);
    auto r = parse_response(std::string_view(raw).substr(0, cut), false);
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
  }
  CHECK(parsed(raw, false).body == "{\"a\":123456789}");
  // Upper-case hex, bare LF line ends and a close right after the last chunk.
  CHECK(parsed("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nB\nhello world\n0\n").body == "hello world");
}

TEST_CASE("parse_response: malformed chunked bodies are errors", "[client][http]") {
  for (const char* raw : {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"}) {
    INFO(raw);
    auto r = parse_response(raw, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::Io);
  }
}

TEST_CASE("parse_response: no length means until the connection closes", "[client][http]") {
  auto r = parse_response("HTTP/1.0 404 Not Found\r\n\r\npartial", false);
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  const auto done = parsed("HTTP/1.0 404 Not Found\r\n\r\n{\"error\":\"x\"}");
  CHECK(done.status == 404);
  CHECK(done.body == "{\"error\":\"x\"}");
}

TEST_CASE("parse_response: interim 1xx responses are skipped; 204 has no body", "[client][http]") {
  const auto r = parsed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx", false);
  CHECK(r.status == 201);
  CHECK(r.body == "x");
  CHECK(parsed("HTTP/1.1 204 No Content\r\n\r\n", false).body.empty());
}

TEST_CASE("parse_response: what is not HTTP is an error", "[client][http]") {
  for (const char* raw : {"SSH-2.0-OpenSSH_9.2\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"}) {
    INFO(raw);
    auto r = parse_response(raw, true);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::Io);
  }
  auto empty = parse_response("", true);
  REQUIRE_FALSE(empty.ok());
  CHECK_THAT(empty.error().message, Contains("without a response"));
}

// ---- http_request against a scripted server ---------------------------------------------------

TEST_CASE("http_request sends Host, Connection: close and a JSON body", "[client][http]") {
  TestServer server({respond("200 OK", R"({"ok":true})")});
  auto r = http_request(local(server.port(), "/pfx"), "POST", "/pfx/apps/1/events?x=1", "{\"a\":1}", quick());
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->body == "{\"ok\":true}");

  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const auto& sent = requests[0];
  CHECK(sent.starts_with("POST /pfx/apps/1/events?x=1 HTTP/1.1\r\n"));
  CHECK_THAT(sent, Contains("\r\nHost: 127.0.0.1:" + std::to_string(server.port()) + "\r\n"));
  CHECK_THAT(sent, Contains("\r\nConnection: close\r\n"));
  CHECK_THAT(sent, Contains("\r\nContent-Type: application/json\r\n"));
  CHECK_THAT(sent, Contains("\r\nContent-Length: 7\r\n"));
  CHECK(sent.ends_with("\r\n\r\n{\"a\":1}"));
}

TEST_CASE("http_request reads a response that arrives in pieces", "[client][http]") {
  TestServer server({Reply{{"HTTP/1.1 200 OK\r\nTransfer-", "Encoding: chunked\r\n\r\n3\r\nab", "c\r\n", "0\r\n\r\n"},
                           20ms, false, false}});
  auto r = http_request(local(server.port()), "GET", "/x", {}, quick());
  REQUIRE(r.ok());
  CHECK(r->body == "abc");
  CHECK_THAT(server.requests().at(0), !Contains("Content-Length"));
}

TEST_CASE("http_request returns error statuses as answers", "[client][http]") {
  TestServer server({respond("401 Unauthorized", R"({"error":"Invalid auth","code":401})")});
  auto r = http_request(local(server.port()), "GET", "/x", {}, quick());
  REQUIRE(r.ok());
  CHECK(r->status == 401);
}

TEST_CASE("http_request reads until close without a length", "[client][http]") {
  TestServer server({answer("HTTP/1.1 200 OK\r\n\r\nall of it")});
  auto r = http_request(local(server.port()), "GET", "/", {}, quick());
  REQUIRE(r.ok());
  CHECK(r->body == "all of it");
}

TEST_CASE("http_request: a server that never answers times out as Unreachable", "[client][http]") {
  TestServer server({Reply{{}, 0ms, true, false}});
  const auto start = std::chrono::steady_clock::now();
  auto r = http_request(local(server.port()), "GET", "/", {}, quick(300ms));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Unreachable);
  CHECK_THAT(r.error().message, Contains("127.0.0.1:" + std::to_string(server.port())));
  CHECK_THAT(r.error().message, Contains("timed out after 0.3 s"));
  CHECK(elapsed >= 290ms);
  CHECK(elapsed < 3s);
}

TEST_CASE("http_request: the timeout is reported in seconds", "[client][http]") {
  TestServer server({Reply{{}, 0ms, true, false}});
  auto r = http_request(local(server.port()), "GET", "/", {}, quick(1000ms));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Contains("timed out after 1 s"));
  r = http_request(local(server.port()), "GET", "/", {}, quick(250ms));
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Contains("timed out after 0.25 s"));
}

TEST_CASE("http_request: a refused port is Unreachable", "[client][http]") {
  const int port = test::unused_port();
  auto r = http_request(local(port), "GET", "/", {}, quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Unreachable);
  CHECK_THAT(r.error().message, Contains("127.0.0.1:" + std::to_string(port)));
  CHECK_THAT(r.error().message, Contains("connection refused"));
}

TEST_CASE("http_request: an unknown host is Unreachable", "[client][http]") {
  auto r = http_request(Url{false, "no-such-host.invalid", 80, ""}, "GET", "/", {}, quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Unreachable);
  CHECK_THAT(r.error().message, Contains("no-such-host.invalid"));
}

TEST_CASE("http_request: a close before any response is Unreachable", "[client][http]") {
  TestServer server({Reply{{}, 0ms, false, false}, Reply{{}, 0ms, false, true}});
  auto r = http_request(local(server.port()), "GET", "/", {}, quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Unreachable);
  CHECK_THAT(r.error().message, Contains("no answer from 127.0.0.1:"));

  r = http_request(local(server.port()), "POST", "/", "{}", quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Unreachable);
}

TEST_CASE("http_request: a truncated or garbled answer is Io", "[client][http]") {
  TestServer server({answer("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"), answer("garbage\r\n\r\n")});
  auto r = http_request(local(server.port()), "GET", "/", {}, quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Io);
  CHECK_THAT(r.error().message, Contains("truncated"));

  r = http_request(local(server.port()), "GET", "/", {}, quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Io);
}

TEST_CASE("http_request: TLS to a plain HTTP server fails the handshake as Unreachable", "[client][http]") {
  TestServer server({Reply{{"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"}, 0ms, false, false, true}});
  auto r = http_request(Url{true, "127.0.0.1", server.port(), ""}, "GET", "/", {}, quick());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Unreachable);
  CHECK_THAT(r.error().message, Contains("TLS handshake with 127.0.0.1:"));
}

// ---- ApiClient -------------------------------------------------------------------------------

TEST_CASE("ApiClient signs requests the way the server verifies them", "[client][api]") {
  TestServer server({answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
                     answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")});
  const ApiClient api(local(server.port(), "/pws"), Credentials{"1001", "the-key", "the-secret", "test", false},
                      quick());
  REQUIRE(api.post("events", R"({"name":"e","channel":"c","data":"{}"})").ok());
  REQUIRE(api.get("channels/presence-room=1", {{"info", "user_count,subscription_count"}}).ok());

  channels::App app;
  app.id = "1001";
  app.key = "the-key";
  app.secret = "the-secret";
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  for (const auto& raw : requests) {
    INFO(raw);
    const auto line_end = raw.find("\r\n");
    const auto request_line = std::string_view(raw).substr(0, line_end);
    const auto method = request_line.substr(0, request_line.find(' '));
    const auto target = request_line.substr(method.size() + 1, request_line.rfind(' ') - method.size() - 1);
    const auto question = target.find('?');
    const auto full_path = target.substr(0, question);
    const auto query = target.substr(question + 1);
    REQUIRE(full_path.starts_with("/pws/apps/1001/"));
    const auto body = std::string_view(raw).substr(raw.find("\r\n\r\n") + 4);
    auto params = http_api::parse_query(query);
    REQUIRE(params.ok());
    const http_api::SignedRequest signed_request{method, full_path, full_path.substr(4), query, body};
    const auto verified = http_api::authenticate(app, signed_request, *params, std::time(nullptr), 600);
    if (!verified.ok()) FAIL(verified.error().message);

    app.secret = "wrong";
    CHECK_FALSE(http_api::authenticate(app, signed_request, *params, std::time(nullptr), 600).ok());
    app.secret = "the-secret";
  }
  CHECK(requests[1].starts_with("GET /pws/apps/1001/channels/presence-room%3D1?"));
  CHECK_THAT(requests[1], Contains("info=user_count%2Csubscription_count"));
  CHECK_THAT(requests[0], Contains("body_md5="));
}

// ---- options of the webhook sender ------------------------------------------------------------

TEST_CASE("http_request sends the extra headers and user agent of its options", "[client][http]") {
  TestServer server({respond("200 OK", "{}")});
  TransportOptions options = quick();
  options.user_agent = "pws-webhooks";
  options.headers = {{"X-Pusher-Key", "pws-key"}, {"X-Api-Token", "t0k3n"}};
  auto r = http_request(local(server.port()), "POST", "/hooks?a=1", "{}", options);
  REQUIRE(r.ok());
  const auto sent = server.requests().at(0);
  CHECK(sent.starts_with("POST /hooks?a=1 HTTP/1.1\r\n"));
  CHECK_THAT(sent, Contains("\r\nUser-Agent: pws-webhooks\r\n"));
  CHECK_THAT(sent, Contains("\r\nContent-Type: application/json\r\n"));
  CHECK_THAT(sent, Contains("\r\nX-Pusher-Key: pws-key\r\nX-Api-Token: t0k3n\r\n\r\n{}"));
  CHECK_THAT(sent, !Contains("pws-cli"));
}

TEST_CASE("http_request: cancelling gives up at once instead of waiting for the timeout", "[client][http]") {
  TestServer server({Reply{{}, 0ms, true, false}});
  std::atomic<bool> cancel{false};
  TransportOptions options = quick(10000ms);
  options.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    cancel = true;
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = http_request(local(server.port()), "POST", "/", "{}", options);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::Unreachable);
  CHECK_THAT(r.error().message, Contains("cancelled"));
  CHECK(elapsed < 2s);
}

TEST_CASE("http_request: a configured User-Agent or Accept replaces the default", "[client][http]") {
  TestServer server({respond("200 OK", "{}")});
  TransportOptions options = quick();
  options.headers = {{"user-agent", "receiver-wants-this"}, {"Accept", "*/*"}};
  REQUIRE(http_request(local(server.port()), "POST", "/", "{}", options).ok());
  const auto sent = server.requests().at(0);
  CHECK_THAT(sent, Contains("\r\nuser-agent: receiver-wants-this\r\n"));
  CHECK_THAT(sent, Contains("\r\nAccept: */*\r\n"));
  CHECK_THAT(sent, !Contains("pws-cli"));
  CHECK_THAT(sent, !Contains("application/json\r\nAccept"));
  CHECK(sent.find("Accept:") == sent.rfind("Accept:"));
}
