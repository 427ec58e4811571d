// HttpTransport against a scripted local HTTP server: the bytes on the wire
// (7.1), what counts as success, and failures that never reach the network.
#include "webhooks/transport.hpp"

#include <catch2/catch.hpp>

#include "client/test_server.hpp"
#include "webhooks/webhook_test_support.hpp"

using namespace pws;
using namespace pws::webhooks;
using namespace pws::webhooks::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using client::test::Reply;
using client::test::TestServer;

namespace {

Reply status(std::string_view line) {
  return Reply{{"HTTP/1.1 " + std::string(line) + "\r\nContent-Length: 0\r\n\r\n"}, 0ms, false, false};
}

Delivery delivery_to(int port, const std::string& path, Headers extra = {}) {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:" + std::to_string(port) + path)});
  auto snap = snapshot(app, book);
  Delivery d;
  d.id = 1;
  d.endpoint = snap->endpoints.at(0);
  d.request = std::make_shared<const SignedRequest>(
      sign_request(R"({"time_ms":1,"events":[{"name":"channel_occupied","channel":"a"}]})", "pws-key", "pws-secret",
                   extra));
  d.timeout_ms = 2000;
  d.events = 1;
  d.attempt = 1;
  return d;
}

}  // namespace

TEST_CASE("the HTTP transport posts the signed body with the Pusher headers to the URL's path and query (#149)",
          "[webhooks][transport]") {
  TestServer server({status("204 No Content")});
  const Delivery d = delivery_to(server.port(), "/pusher/hooks?token=t", {{"X-Webhook-Token", "abc"}});
  std::atomic<bool> cancel{false};
  const AttemptResult result = HttpTransport().post(d, cancel);
  CHECK(result.delivered);
  const auto sent = server.requests().at(0);
  CHECK(sent.starts_with("POST /pusher/hooks?token=t HTTP/1.1\r\n"));
  CHECK_THAT(sent, Contains("\r\nContent-Type: application/json\r\n"));
  CHECK_THAT(sent, Contains("\r\nX-Pusher-Key: pws-key\r\n"));
  CHECK_THAT(sent, Contains("\r\nX-Pusher-Signature: " + webhook_signature("pws-secret", d.request->body) + "\r\n"));
  CHECK_THAT(sent, Contains("\r\nX-Webhook-Token: abc\r\n"));
  CHECK_THAT(sent, Contains("\r\nUser-Agent: pws-webhooks\r\n"));
  CHECK(sent.ends_with("\r\n\r\n" + d.request->body));
}

TEST_CASE("any 2xx is success; other statuses and connection errors are failures with a reason", "[webhooks][transport]") {
  TestServer server({status("202 Accepted"), status("500 Internal Server Error"), status("301 Moved Permanently")});
  std::atomic<bool> cancel{false};
  HttpTransport transport;
  const Delivery d = delivery_to(server.port(), "/h");
  CHECK(transport.post(d, cancel).delivered);
  auto failed = transport.post(d, cancel);
  CHECK_FALSE(failed.delivered);
  CHECK(failed.failure == "HTTP 500");
  CHECK(transport.post(d, cancel).failure == "HTTP 301");

  const Delivery refused = delivery_to(client::test::unused_port(), "/h");
  failed = transport.post(refused, cancel);
  CHECK_FALSE(failed.delivered);
  CHECK_THAT(failed.failure, Contains("connection refused"));
}

TEST_CASE("a timeout is a failure after delivery.timeout_ms", "[webhooks][transport]") {
  TestServer server({Reply{{}, 0ms, true, false}});
  Delivery d = delivery_to(server.port(), "/h");
  d.timeout_ms = 300;
  std::atomic<bool> cancel{false};
  const auto start = std::chrono::steady_clock::now();
  const auto result = HttpTransport().post(d, cancel);
  CHECK_FALSE(result.delivered);
  CHECK_THAT(result.failure, Contains("timed out after 0.3 s"));
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("a header with a line break is never written", "[webhooks][transport]") {
  TestServer server({status("200 OK")});
  Delivery d = delivery_to(server.port(), "/h");
  d.request = std::make_shared<const SignedRequest>(sign_request("{}", "bad\r\nX-Evil: 1", "s", {}));
  std::atomic<bool> cancel{false};
  const auto result = HttpTransport().post(d, cancel);
  CHECK_FALSE(result.delivered);
  CHECK_THAT(result.failure, Contains("line break"));
}
