// Cache channels (protocol reference 2.12, 5.8; checklist 10.7 #100-#105):
// the last HTTP API event is replayed right after subscription_succeeded,
// pusher:cache_miss when there is none, expiry after cache_ttl.
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

void publish(Hub& hub, const App& app, std::string_view channel, std::string_view event, std::string_view data,
             std::string_view except = {}) {
  hub.publish(app, PublishRequest{event, data, {std::string(channel)}, except});
}

}  // namespace

TEST_CASE_METHOD(HubFixture, "an empty cache channel answers subscription_succeeded then pusher:cache_miss (10.7 #100)",
                 "[channels][cache]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  const ConnectionId a = connect();
  outbox.clear();
  subscribe(a, "cache-ticker");
  CHECK(outbox.payloads_to(a) ==
        std::vector<std::string>{R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"cache-ticker"})",
                                 R"({"event":"pusher:cache_miss","data":"{}","channel":"cache-ticker"})"});
  CHECK(std::count(observer.events.begin(), observer.events.end(), "cache_miss cache-ticker") == 1);

  SECTION("many subscribers within a second make one cache_miss notification (2.12)") {
    for (int i = 0; i < 5; ++i) subscribe(connect(), "cache-ticker");
    CHECK(std::count(observer.events.begin(), observer.events.end(), "cache_miss cache-ticker") == 1);
    clock.advance_ms(1000);
    const ConnectionId late = connect();
    subscribe(late, "cache-ticker");
    CHECK(outbox.last(late).at("event") == "pusher:cache_miss");
    CHECK(std::count(observer.events.begin(), observer.events.end(), "cache_miss cache-ticker") == 2);
  }
  SECTION("subscribing again changes nothing: no second replay or miss") {
    outbox.clear();
    subscribe(a, "cache-ticker");
    CHECK(outbox.count(a, "pusher:cache_miss") == 0);
  }
}

TEST_CASE_METHOD(HubFixture, "a new subscriber gets the most recent API event right after subscription_succeeded (10.7 #101, #102)",
                 "[channels][cache]") {
  const ConnectionId early = connect();
  subscribe(early, "cache-ticker");
  publish(hub, app(), "cache-ticker", "price", R"({"price":9})");
  publish(hub, app(), "cache-ticker", "price", R"({"price":10})", sid(early));  // exclusion still caches
  const ConnectionId late = connect();
  outbox.clear();
  subscribe(late, "cache-ticker");
  CHECK(outbox.payloads_to(late) ==
        std::vector<std::string>{R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"cache-ticker"})",
                                 R"({"event":"price","data":"{\"price\":10}","channel":"cache-ticker"})"});
  CHECK(outbox.sends_to(early) == 0);

  SECTION("the cache outlives the channel's subscribers") {
    unsubscribe(early, "cache-ticker");
    unsubscribe(late, "cache-ticker");
    const ConnectionId again = connect();
    subscribe(again, "cache-ticker");
    CHECK(outbox.last(again).at("event") == "price");
  }
  SECTION("a channel never subscribed still remembers what was published to it") {
    publish(hub, app(), "cache-quiet", "e", "1");
    const ConnectionId c = connect();
    subscribe(c, "cache-quiet");
    CHECK(outbox.last(c).at("data") == "1");
  }
}

TEST_CASE_METHOD(HubFixture, "client events are never cached (10.5 #82)", "[channels][cache]") {
  const ConnectionId a = connect();
  subscribe_private(a, "private-cache-chat");
  client_event(a, "private-cache-chat", "client-typing");
  const ConnectionId b = connect();
  outbox.clear();
  subscribe_private(b, "private-cache-chat");
  CHECK(outbox.last(b).at("event") == "pusher:cache_miss");
}

TEST_CASE_METHOD(HubFixture, "after cache_ttl the channel is empty again (10.7 #103)", "[channels][cache]") {
  publish(hub, app(), "cache-ticker", "price", "1");
  clock.advance_ms(std::int64_t{app().limits.cache_ttl} * 1000 - 1);
  auto info = hub.cached_event(app(), "cache-ticker");
  REQUIRE(info);
  CHECK(info->ttl_seconds == 1);
  const ConnectionId a = connect();
  subscribe(a, "cache-ticker");
  CHECK(outbox.last(a).at("event") == "price");
  clock.advance_ms(1);
  CHECK_FALSE(hub.cached_event(app(), "cache-ticker"));
  const ConnectionId b = connect();
  subscribe(b, "cache-ticker");
  CHECK(outbox.last(b).at("event") == "pusher:cache_miss");
}

TEST_CASE("cache_ttl is per app", "[channels][cache]") {
  HubFixture f(HubFixture::apps_with([](App& app) { app.limits.cache_ttl = 5; }));
  f.hub.publish(f.app(), PublishRequest{"e", "x", {"cache-a"}, {}});
  REQUIRE(f.hub.cached_event(f.app(), "cache-a"));
  CHECK(f.hub.cached_event(f.app(), "cache-a")->ttl_seconds == 5);
  f.clock.advance_ms(5000);
  f.hub.sweep();  // prunes expired entries
  CHECK_FALSE(f.hub.cached_event(f.app(), "cache-a"));
}

TEST_CASE_METHOD(HubFixture, "private-, private-encrypted- and presence-cache- channels cache with their auth rules (10.7 #104)",
                 "[channels][cache]") {
  for (std::string channel : {"private-cache-a", "private-encrypted-cache-b", "presence-cache-c"}) {
    INFO(channel);
    publish(hub, app(), channel, "e", "cached");
    const ConnectionId c = connect();
    subscribe(c, channel, "bogus-auth");
    CHECK(subscription_error(c).at("type") == "AuthError");
    CHECK(outbox.count(c, "e") == 0);
    outbox.clear();
    if (channel.starts_with("presence"))
      join_as(c, channel, "u1");
    else
      subscribe_private(c, channel);
    REQUIRE(succeeded(c, channel));
    CHECK(outbox.last(c).at("event") == "e");
    CHECK(outbox.last(c).at("data") == "cached");
  }
}

TEST_CASE_METHOD(HubFixture, "cached_event reports data and the seconds left, and only for the app (10.7 #105)",
                 "[channels][cache]") {
  CHECK_FALSE(hub.cached_event(app(), "cache-ticker"));
  publish(hub, app(), "cache-ticker", "price", R"({"price":10})");
  clock.advance_ms(60'500);
  auto info = hub.cached_event(app(), "cache-ticker");
  REQUIRE(info);
  CHECK(info->data == R"({"price":10})");
  CHECK(info->ttl_seconds == 1740);
  const App* other = hub.apps().find_by_id("2002");
  CHECK_FALSE(hub.cached_event(*other, "cache-ticker"));
  publish(hub, app(), "orders", "e", "x");  // not a cache channel
  CHECK_FALSE(hub.cached_event(app(), "orders"));
}

TEST_CASE_METHOD(HubFixture, "the number of remembered cache channels per app is bounded", "[channels][cache]") {
  for (std::size_t i = 0; i <= kMaxCachedChannelsPerApp; ++i) {
    publish(hub, app(), "cache-" + std::to_string(i), "e", "x");
    clock.advance_ms(1);
  }
  CHECK_FALSE(hub.cached_event(app(), "cache-0"));  // nearest expiry went first
  CHECK(hub.cached_event(app(), "cache-1"));
  CHECK(hub.cached_event(app(), "cache-" + std::to_string(kMaxCachedChannelsPerApp)));
}
