// What the hubs of several event loops share (issue 8): the connection
// limits are exact over all hubs, traffic figures are the whole server's,
// and cache_miss is throttled per channel whichever hub sees the miss.
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "channels/connection_ledger.hpp"
#include "channels/hub_fixture.hpp"
#include "channels/shared_counters.hpp"
#include "channels/shared_throttle.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

TEST_CASE("the ledger admits up to each limit and gives places back") {
  ConnectionLedger ledger;
  CHECK(ledger.admit("a", 2, 3) == ConnectionLedger::Admission::Admitted);
  CHECK(ledger.admit("a", 2, 3) == ConnectionLedger::Admission::Admitted);
  CHECK(ledger.admit("a", 2, 3) == ConnectionLedger::Admission::AppFull);
  CHECK(ledger.admit("b", -1, 3) == ConnectionLedger::Admission::Admitted);
  CHECK(ledger.admit("b", -1, 3) == ConnectionLedger::Admission::ServerFull);
  ledger.release("a");
  CHECK(ledger.connections("a") == 1);
  CHECK(ledger.admit("b", -1, 3) == ConnectionLedger::Admission::Admitted);
  CHECK(ledger.total() == 3);
}

TEST_CASE("two threads racing for the last places never get more than the limit") {
  ConnectionLedger ledger;
  std::atomic<int> admitted{0};
  auto race = [&] {
    for (int i = 0; i < 1000; ++i)
      if (ledger.admit("a", 500, -1) == ConnectionLedger::Admission::Admitted) ++admitted;
  };
  std::thread one(race), two(race);
  one.join();
  two.join();
  CHECK(admitted.load() == 500);
  CHECK(ledger.connections("a") == 500);
}

TEST_CASE("the shared throttle allows a key once per interval") {
  SharedThrottle throttle(1000);
  CHECK(throttle.allow("1001\ncache-a", 0));
  CHECK_FALSE(throttle.allow("1001\ncache-a", 999));
  CHECK(throttle.allow("1001\ncache-b", 999));
  CHECK(throttle.allow("1001\ncache-a", 1000));
}

TEST_CASE("hubs sharing a ledger and counters act as one server") {
  ConnectionLedger ledger;
  SharedCounters counters;
  SharedThrottle cache_misses(1000);
  HubSettings settings;
  settings.ledger = &ledger;
  settings.shared_counters = &counters;
  settings.cache_miss_throttle = &cache_misses;
  const auto apps = HubFixture::apps_with([](App& app) { app.limits.max_connections = 2; });
  HubFixture a(apps, settings), b(apps, settings);

  SECTION("the per-app limit counts the other hub's connections at once (6, 10.1 #11)") {
    a.connect();
    b.connect();
    OpenRequest request;
    request.app_key = kKey;
    request.protocol = "7";
    auto [refused, ok] = a.open(request);
    CHECK_FALSE(ok);
    CHECK(a.outbox.close_codes(refused) == std::vector<int>{4004});
  }

  SECTION("traffic and connections are the server's, whichever hub is asked") {
    const ConnectionId on_a = a.connect();
    b.connect();
    a.subscribe(on_a, "orders");
    const AppCounters seen_from_b = b.hub.server_counters(b.app());
    CHECK(seen_from_b.connections == 2);
    CHECK(seen_from_b.connections_opened == 2);
    CHECK(seen_from_b.websocket_messages_in == 1);
    CHECK(b.hub.counters(kAppId).connections == 1);  // its own, for its statistics
    CHECK(b.hub.take_peak_connections(kAppId) == 2);
  }

  SECTION("a cache channel's miss is reported once a second over both hubs (2.12)") {
    RecordingObserver seen_a, seen_b;
    a.hub.add_observer(&seen_a);
    b.hub.add_observer(&seen_b);
    a.subscribe(a.connect(), "cache-ticker");
    b.subscribe(b.connect(), "cache-ticker");
    int misses = 0;
    for (const auto& line : seen_a.events) misses += line.rfind("cache_miss", 0) == 0;
    for (const auto& line : seen_b.events) misses += line.rfind("cache_miss", 0) == 0;
    CHECK(misses == 1);
  }
}
