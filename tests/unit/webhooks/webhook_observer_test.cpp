// WebhookObserver: hub events -> webhook events, filtered per endpoint,
// stamped with the time they happened, refused events counted; and the same
// through a real Hub (subscribe, disconnect, presence, client events).
#include "webhooks/webhook_observer.hpp"

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"
#include "webhooks/clock.hpp"
#include "webhooks/webhook_test_support.hpp"

using namespace pws;
using namespace pws::webhooks;
using namespace pws::webhooks::test;

namespace {

struct ObserverFixture {
  explicit ObserverFixture(std::vector<channels::App> apps)
      : directory(std::move(apps)), observer(sink, clock, figures, log.fn()) {
    observer.set_apps(directory);
  }
  const channels::App& app(std::size_t i = 0) const { return *directory.apps().at(i); }

  channels::AppDirectory directory;
  RecordingSink sink;
  ManualClock clock;
  FigureBook figures;
  LogLines log;
  WebhookObserver observer;
};

}  // namespace

TEST_CASE("the observer stamps events with the time they happened and fills their fields (#150, #152)",
          "[webhooks][observer]") {
  ObserverFixture f({app_with({hook("http://127.0.0.1:9/hook")})});
  f.observer.on_channel_occupied(f.app(), "orders");
  f.clock.advance_ms(250);
  f.observer.on_client_event(f.app(), "1.2", "presence-room", "client-typing", R"({"t":1})", "42");
  f.observer.on_client_event(f.app(), "1.3", "private-chat", "client-typing", "x", "ignored");
  f.observer.on_member_added(f.app(), "presence-room", "42");
  f.observer.on_cache_miss(f.app(), "cache-ticker");
  f.observer.on_subscription_count(f.app(), "orders", 3);

  REQUIRE(f.sink.events.size() == 6);
  const auto& occupied = f.sink.events[0];
  CHECK(occupied.app->app_id == "1001");
  CHECK(occupied.event.time_ms == 1'700'000'000'000);
  CHECK(occupied.event.at_ms == 1'000'000);
  const WebhookEvent& client = f.sink.events[1].event;
  CHECK(client.time_ms == 1'700'000'000'250);
  CHECK(encode_event(client) ==
        R"({"name":"client_event","channel":"presence-room","event":"client-typing","data":"{\"t\":1}","socket_id":"1.2","user_id":"42"})");
  // user_id only on presence channels, whatever the caller passes.
  CHECK(encode_event(f.sink.events[2].event).find("user_id") == std::string::npos);
  CHECK(encode_event(f.sink.events[3].event) == R"({"name":"member_added","channel":"presence-room","user_id":"42"})");
  CHECK(encode_event(f.sink.events[4].event) == R"({"name":"cache_miss","channel":"cache-ticker"})");
  CHECK(encode_event(f.sink.events[5].event) == R"({"name":"subscription_count","channel":"orders","subscription_count":3})");
}

TEST_CASE("events no endpoint wants are not handed over (#154, #155)", "[webhooks][observer]") {
  auto presence_only = hook("http://127.0.0.1:9/a");
  presence_only.channel_name_starts_with = "presence-";
  ObserverFixture f({app_with({hook("http://127.0.0.1:9/b", {"channel_vacated"}), presence_only})});
  f.observer.on_channel_occupied(f.app(), "orders");        // neither
  f.observer.on_channel_vacated(f.app(), "orders");         // first
  f.observer.on_channel_occupied(f.app(), "presence-room");  // second
  f.observer.on_client_event(f.app(), "1.2", "private-x", "client-a", "{}", "");  // neither
  CHECK(f.sink.names() == std::vector<std::string>{"channel_vacated", "channel_occupied"});
}

TEST_CASE("apps without webhooks cost nothing and server-to-user channels never produce webhooks",
          "[webhooks][observer]") {
  channels::App plain = app_with({});
  plain.id = "2002";
  plain.key = "k2";
  ObserverFixture f({app_with({hook("http://127.0.0.1:9/hook")}), plain});
  f.observer.on_channel_occupied(f.app(1), "orders");
  f.observer.on_channel_occupied(f.app(0), "#server-to-user-42");
  f.observer.on_channel_vacated(f.app(0), "#server-to-user-42");
  CHECK(f.sink.events.empty());
}

TEST_CASE("with a vacate delay the pair of a wanted vacancy event is handed over too (7.2)", "[webhooks][observer]") {
  auto app = app_with({hook("http://127.0.0.1:9/hook", {"channel_vacated", "member_removed"})});
  app.webhook_vacate_delay_ms = 1000;
  ObserverFixture f({app});
  f.observer.on_channel_occupied(f.app(), "orders");
  f.observer.on_member_added(f.app(), "presence-r", "7");
  CHECK(f.sink.names() == std::vector<std::string>{"channel_occupied", "member_added"});

  auto no_delay = app_with({hook("http://127.0.0.1:9/hook", {"channel_vacated"})});
  ObserverFixture g({no_delay});
  g.observer.on_channel_occupied(g.app(), "orders");
  CHECK(g.sink.events.empty());
}

TEST_CASE("a full hand-over queue drops the event, counts it and logs once per 10 s", "[webhooks][observer]") {
  ObserverFixture f({app_with({hook("http://127.0.0.1:9/hook")})});
  f.sink.refuse = true;
  for (int i = 0; i < 5; ++i) f.observer.on_channel_occupied(f.app(), "orders");
  auto rows = f.figures.webhook_figures();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].first == "1001");
  CHECK(rows[0].second.dropped == 5);
  CHECK(f.log.lines.size() == 1);
  f.clock.advance_ms(10'000);
  f.observer.on_channel_occupied(f.app(), "orders");
  REQUIRE(f.log.lines.size() == 2);
  CHECK(f.log.lines[1].find("5 events dropped") != std::string::npos);
}

TEST_CASE("after set_apps new events carry the new configuration", "[webhooks][observer]") {
  ObserverFixture f({app_with({hook("http://127.0.0.1:9/old")})});
  f.observer.on_channel_occupied(f.app(), "a");
  auto changed = app_with({hook("http://127.0.0.1:9/new")});
  changed.secret = "rotated";
  channels::AppDirectory reloaded({changed});
  f.observer.set_apps(reloaded);
  f.observer.on_channel_occupied(*reloaded.apps()[0], "b");
  // An App the observer was never given (mid-reload) still works, uncached.
  const channels::App loose = app_with({hook("http://127.0.0.1:9/loose")});
  f.observer.on_channel_occupied(loose, "c");
  REQUIRE(f.sink.events.size() == 3);
  CHECK(f.sink.events[0].app->endpoints[0]->hook.url == "http://127.0.0.1:9/old");
  CHECK(f.sink.events[1].app->endpoints[0]->app_secret == "rotated");
  CHECK(f.sink.events[2].app->endpoints[0]->hook.url == "http://127.0.0.1:9/loose");
  // One set of counters per app id, across reloads.
  CHECK(f.sink.events[0].app->figures == f.sink.events[1].app->figures);
}

TEST_CASE("an unusable URL is reported without being quoted and skipped", "[webhooks][observer]") {
  ObserverFixture f({app_with({hook("http://host:99999/secret-token"), hook("http://127.0.0.1:9/ok")})});
  REQUIRE(f.log.lines.size() == 1);
  CHECK(f.log.lines[0].find("webhook 0 of app 1001") != std::string::npos);
  CHECK(f.log.lines[0].find("secret-token") == std::string::npos);
  f.observer.on_channel_occupied(f.app(), "a");
  REQUIRE(f.sink.events.size() == 1);
  CHECK(f.sink.events[0].app->endpoints.size() == 1);
}

// ---- Through the hub ----

namespace {

struct HubWebhooks : channels::test::HubFixture {
  explicit HubWebhooks(channels::App app)
      : HubFixture({app}), observer(sink, clock, figures, [](std::string_view) {}) {
    observer.set_apps(hub.apps());
    hub.add_observer(&observer);
  }
  RecordingSink sink;
  ManualClock clock;  // webhooks' own; the hub's is HubFixture::clock
  FigureBook figures;
  WebhookObserver observer;

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& e : sink.events) out.push_back(encode_event(e.event));
    return out;
  }
};

}  // namespace

TEST_CASE("first subscribe occupies, last unsubscribe and disconnect vacate (#148)", "[webhooks][observer][hub]") {
  HubWebhooks f(app_with({hook("http://127.0.0.1:9/hook")}));
  auto a = f.connect();
  auto b = f.connect();
  f.subscribe(a, "orders");
  f.subscribe(b, "orders");
  f.unsubscribe(a, "orders");
  f.hub.close(b);
  f.subscribe(a, "news");
  f.hub.close(a);
  CHECK(f.lines() == std::vector<std::string>{
                         R"({"name":"channel_occupied","channel":"orders"})",
                         R"({"name":"channel_vacated","channel":"orders"})",
                         R"({"name":"channel_occupied","channel":"news"})",
                         R"({"name":"channel_vacated","channel":"news"})",
                     });
}

TEST_CASE("members are added and removed once per user, not per connection (#151)", "[webhooks][observer][hub]") {
  HubWebhooks f(app_with({hook("http://127.0.0.1:9/hook", {"member_added", "member_removed"})}));
  auto a = f.connect();
  auto b = f.connect();
  f.join_as(a, "presence-room", "42");
  f.join_as(b, "presence-room", "42");
  f.hub.close(a);
  f.unsubscribe(b, "presence-room");
  CHECK(f.lines() == std::vector<std::string>{
                         R"({"name":"member_added","channel":"presence-room","user_id":"42"})",
                         R"({"name":"member_removed","channel":"presence-room","user_id":"42"})",
                     });
}

TEST_CASE("an accepted client event produces client_event with user_id on presence only (#152)",
          "[webhooks][observer][hub]") {
  HubWebhooks f(app_with({hook("http://127.0.0.1:9/hook", {"client_event"})}));
  auto a = f.connect();
  auto b = f.connect();
  f.subscribe_private(a, "private-chat");
  f.subscribe_private(b, "private-chat");
  f.join_as(a, "presence-room", "42");
  f.join_as(b, "presence-room", "43");
  f.client_event(a, "private-chat", "client-typing", boost::json::object{{"typing", true}});
  f.client_event(a, "presence-room", "client-wave", "hi");
  f.client_event(a, "orders", "client-refused", "x");  // not subscribed: refused, no webhook
  const std::string sid = f.sid(a);
  CHECK(f.lines() == std::vector<std::string>{
                         R"({"name":"client_event","channel":"private-chat","event":"client-typing","data":"{\"typing\":true}","socket_id":")" +
                             sid + R"("})",
                         R"({"name":"client_event","channel":"presence-room","event":"client-wave","data":"hi","socket_id":")" +
                             sid + R"(","user_id":"42"})",
                     });
}
