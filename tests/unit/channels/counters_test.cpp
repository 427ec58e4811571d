// Per-app counters behind statistics snapshots and /metrics: what the
// recorder and the Prometheus endpoint read (issue 4).
#include <catch2/catch.hpp>

#include "hub_fixture.hpp"

using namespace pws::channels;
using namespace pws::channels::test;

TEST_CASE_METHOD(HubFixture, "counters follow connections, messages, channels and subscriptions",
                 "[channels][counters]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe(a, "orders");
  subscribe(b, "orders");
  subscribe(b, "news");

  AppCounters c = hub.counters(kAppId);
  CHECK(c.connections == 2);
  CHECK(c.connections_opened == 2);
  CHECK(c.channels == 2);
  CHECK(c.subscriptions == 3);
  CHECK(c.websocket_messages_in == 3);

  const std::string ping = R"({"event":"pusher:ping","data":{}})";
  const std::uint64_t bytes_before = c.bytes_in;
  receive(a, ping);
  c = hub.counters(kAppId);
  CHECK(c.websocket_messages_in == 4);
  CHECK(c.bytes_in - bytes_before == ping.size());

  hub.close(b);
  c = hub.counters(kAppId);
  CHECK(c.connections == 1);
  CHECK(c.connections_opened == 2);
  CHECK(c.channels == 1);
  CHECK(c.subscriptions == 1);
}

TEST_CASE_METHOD(HubFixture, "the peak is the most concurrent connections since it was last taken",
                 "[channels][counters]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  connect();
  hub.close(a);
  hub.close(b);
  CHECK(hub.take_peak_connections(kAppId) == 3);
  // The next interval starts from the connections still open.
  CHECK(hub.take_peak_connections(kAppId) == 1);
  CHECK(hub.take_peak_connections("no-such-app") == 0);
}

TEST_CASE_METHOD(HubFixture, "an unknown app id has zero counters", "[channels][counters]") {
  const AppCounters c = hub.counters("no-such-app");
  CHECK(c.connections == 0);
  CHECK(c.messages_out == 0);
  CHECK(c.channels == 0);
}
