// Swapping the app directory at run time (Hub::set_apps): removed apps'
// connections are closed with 4001, disabled apps' with 4003, unchanged apps
// keep theirs, and new settings take effect.
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

TEST_CASE_METHOD(HubFixture, "a removed app's connections are closed with 4001", "[channels][set_apps]") {
  const ConnectionId mine = connect();
  const ConnectionId theirs = connect("other-key");
  subscribe(mine, "orders");
  outbox.clear();
  hub.set_apps(directory({other_app()}));
  require_closed_with(mine, 4001);
  CHECK_FALSE(outbox.closed(theirs));
  CHECK(hub.connection_count() == 1);
  // New connections to the removed key are refused.
  auto [id, ok] = open(OpenRequest{kKey, "7", {}, false});
  CHECK_FALSE(ok);
  require_closed_with(id, 4001);
}

TEST_CASE_METHOD(HubFixture, "a disabled app's connections are closed with 4003", "[channels][set_apps]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  const ConnectionId theirs = connect("other-key");
  outbox.clear();
  hub.set_apps(directory(HubFixture::apps_with([](App& app) { app.enabled = false; })));
  require_closed_with(a, 4003);
  require_closed_with(b, 4003);
  CHECK_FALSE(outbox.closed(theirs));
  CHECK(hub.counters(kAppId).connections == 0);

  SECTION("re-enabling lets new connections in") {
    hub.set_apps(directory(default_apps()));
    const ConnectionId c = connect();
    subscribe_private(c, "private-x");
    CHECK(succeeded(c, "private-x"));
  }
}

TEST_CASE_METHOD(HubFixture, "an unchanged app keeps its connections and subscriptions", "[channels][set_apps]") {
  const ConnectionId a = connect();
  subscribe(a, "orders");
  join_as(a, "presence-room", "1");
  outbox.clear();
  hub.set_apps(directory(default_apps()));
  CHECK(outbox.log.empty());
  CHECK(hub.connection_count() == 1);
  hub.publish(app(), PublishRequest{"e", "{}", {"orders"}, {}});
  CHECK(outbox.sends_to(a) == 1);
  CHECK(hub.presence_user_ids(app(), "presence-room") == std::vector<std::string>{"1"});
}

TEST_CASE_METHOD(HubFixture, "a changed switch keeps connections and takes effect at once", "[channels][set_apps]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe_private(a, "private-chat");
  subscribe_private(b, "private-chat");
  outbox.clear();
  hub.set_apps(directory(HubFixture::apps_with([](App& app) { app.enable_client_messages = false; })));
  CHECK(outbox.log.empty());
  client_event(a, "private-chat", "client-x");
  CHECK(error_code(a) == 4301);
  CHECK(outbox.sends_to(b) == 0);
}

TEST_CASE_METHOD(HubFixture, "changed limits apply to existing connections", "[channels][set_apps]") {
  const ConnectionId a = connect();
  hub.set_apps(directory(HubFixture::apps_with([](App& app) { app.limits.max_channel_name_length = 5; })));
  subscribe(a, "abcdef");
  CHECK(subscription_error(a).at("type") == "LimitReached");
}

TEST_CASE_METHOD(HubFixture, "after a secret rotation connections are verified with the new secret",
                 "[channels][set_apps]") {
  const ConnectionId old_conn = connect();
  hub.set_apps(directory(HubFixture::apps_with([](App& app) { app.secret = "rotated-secret"; })));
  CHECK(outbox.closed(old_conn));  // signatures it holds were made with the old secret

  const ConnectionId a = connect();
  outbox.clear();
  subscribe(a, "private-x", HubFixture::sign(sid(a) + ":private-x", kKey, "rotated-secret"));
  CHECK(succeeded(a, "private-x"));
  subscribe(a, "private-y", HubFixture::sign(sid(a) + ":private-y", kKey, kSecret));
  CHECK(outbox.count(a, "pusher:subscription_error") == 1);
}

TEST_CASE_METHOD(HubFixture, "after a key change the new key connects and the old one does not",
                 "[channels][set_apps]") {
  const ConnectionId old_conn = connect();
  hub.set_apps(directory(HubFixture::apps_with([](App& app) { app.key = "new-key"; })));
  CHECK(outbox.closed(old_conn));
  auto [refused, refused_ok] = open(OpenRequest{kKey, "7", {}, false});
  CHECK_FALSE(refused_ok);
  const ConnectionId a = connect("new-key");
  outbox.clear();
  subscribe(a, "private-x", HubFixture::sign(sid(a) + ":private-x", "new-key", kSecret));
  CHECK(succeeded(a, "private-x"));
}
