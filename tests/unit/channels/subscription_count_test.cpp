// pusher_internal:subscription_count throttling (protocol reference 2.11):
// small channels hear every change; channels above 100 subscribers at most
// once per 5 s, and the sweep sends the final count when the window ends.
#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

std::vector<std::int64_t> counts_seen(const RecordingOutbox& outbox, ConnectionId id) {
  std::vector<std::int64_t> out;
  for (const auto& m : outbox.messages_to(id, "pusher_internal:subscription_count")) {
    json::value data = json::parse(m.at("data").as_string());
    out.push_back(data.at("subscription_count").as_int64());
  }
  return out;
}

}  // namespace

TEST_CASE("a channel of 100 subscribers or fewer hears every count change (10.7 #106)",
          "[channels][subscription_count]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.enable_subscription_count = true; }));
  const ConnectionId first = f.connect();
  f.subscribe(first, "orders");
  for (int i = 0; i < 9; ++i) f.subscribe(f.connect(), "orders");
  const auto seen = counts_seen(f.outbox, first);
  REQUIRE(seen.size() == 10);
  CHECK(seen.back() == 10);
}

TEST_CASE("joins above 100 subscribers are throttled, then the sweep sends the final count (2.11)",
          "[channels][subscription_count]") {
  HubFixture f(HubFixture::apps_with([](App& a) {
    a.enable_subscription_count = true;
    a.limits.max_connections = -1;
  }));
  const ConnectionId first = f.connect();
  f.subscribe(first, "orders");
  for (int i = 1; i < 1000; ++i) f.subscribe(f.connect(), "orders");

  // Without the throttle the first subscriber would get 1000 counts and the
  // hub would send ~500,000 frames; with it, one per change up to 101, then
  // nothing until the window ends.
  const auto during = counts_seen(f.outbox, first);
  CHECK(during.size() <= 102);
  CHECK(during.back() < 1000);

  f.clock.advance_ms(5000);
  f.hub.sweep();
  const auto after = counts_seen(f.outbox, first);
  REQUIRE(after.size() == during.size() + 1);
  CHECK(after.back() == 1000);

  SECTION("and nothing more once it has converged") {
    f.clock.advance_ms(5000);
    f.hub.sweep();
    CHECK(counts_seen(f.outbox, first).size() == after.size());
  }
}

TEST_CASE("a throttled count of a channel vacated meanwhile is dropped (2.11)",
          "[channels][subscription_count]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.enable_subscription_count = true; }));
  std::vector<ConnectionId> ids;
  for (int i = 0; i < 150; ++i) {
    ids.push_back(f.connect());
    f.subscribe(ids.back(), "orders");
  }
  for (ConnectionId id : ids) f.hub.close(id);
  f.outbox.clear();
  f.clock.advance_ms(5000);
  f.hub.sweep();
  CHECK(f.outbox.log.empty());
}

TEST_CASE("observers hear every subscription count sent, for webhooks (7.3)", "[channels][count]") {
  HubFixture f(HubFixture::apps_with([](App& app) { app.enable_subscription_count = true; }));
  RecordingObserver observer;
  f.hub.add_observer(&observer);
  const ConnectionId a = f.connect();
  const ConnectionId b = f.connect();
  f.subscribe(a, "orders");
  f.subscribe(b, "orders");
  f.unsubscribe(a, "orders");
  f.join_as(a, "presence-room", "u1");  // never counted on presence channels
  std::vector<std::string> counts;
  for (const auto& e : observer.events)
    if (e.starts_with("subscription_count")) counts.push_back(e);
  CHECK(counts == std::vector<std::string>{"subscription_count orders 1", "subscription_count orders 2",
                                           "subscription_count orders 1"});
}
