// Liveness: server pings, the pong timeout and what counts as activity
// (protocol reference 8.3, 8.4; checklist 10.2 #29-#32, 10.11 #159-#160).
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

const std::string kPing = R"({"event":"pusher:ping","data":{}})";

}  // namespace

TEST_CASE_METHOD(HubFixture, "after ping_interval of silence the server sends pusher:ping and a protocol ping (10.2 #29)",
                 "[channels][liveness]") {
  const ConnectionId a = connect();
  outbox.clear();
  clock.advance_ms(60'000 - 1);
  hub.sweep();
  CHECK(outbox.log.empty());

  clock.advance_ms(1);
  hub.sweep();
  CHECK(outbox.payloads_to(a) == std::vector<std::string>{kPing});
  CHECK(outbox.pings_to(a) == 1);
  CHECK_FALSE(outbox.closed(a));

  SECTION("only one ping while waiting for the answer") {
    clock.advance_ms(10'000);
    hub.sweep();
    CHECK(outbox.count(a, "pusher:ping") == 1);
    CHECK(outbox.pings_to(a) == 1);
  }
}

TEST_CASE_METHOD(HubFixture, "a pinged client silent for pong_timeout gets 4201 and is closed (10.2 #30)",
                 "[channels][liveness]") {
  const ConnectionId a = connect();
  const ConnectionId watcher = connect();
  join_as(a, "presence-room", "1");
  join_as(watcher, "presence-room", "2");
  // The watcher stays active throughout.
  clock.advance_ms(50'000);
  receive(watcher, R"({"event":"pusher:ping"})");
  clock.advance_ms(10'000);
  hub.sweep();  // pings a (60 s silent)
  REQUIRE(outbox.pings_to(a) == 1);
  outbox.clear();

  clock.advance_ms(20'000);
  receive(watcher, R"({"event":"pusher:ping"})");
  clock.advance_ms(10'000 - 1);
  hub.sweep();
  CHECK_FALSE(outbox.closed(a));
  clock.advance_ms(1);  // 30 s after the ping
  hub.sweep();
  require_closed_with(a, 4201);
  CHECK(outbox.last(a).at("data").at("message") == "Pong reply not received");
  CHECK_FALSE(outbox.closed(watcher));
  CHECK(outbox.count(watcher, "pusher_internal:member_removed") == 1);
  CHECK(hub.counters(kAppId).connections == 1);
}

TEST_CASE_METHOD(HubFixture, "a client that answers the ping is not closed (10.2 #31)", "[channels][liveness]") {
  const ConnectionId a = connect();
  clock.advance_ms(60'000);
  hub.sweep();
  REQUIRE(outbox.pings_to(a) == 1);
  clock.advance_ms(5'000);

  SECTION("with pusher:pong") { receive(a, R"({"event":"pusher:pong","data":{}})"); }
  SECTION("with any frame") { receive(a, "not even JSON"); }
  SECTION("with a protocol pong (note_activity)") { hub.note_activity(a); }

  clock.advance_ms(35'000);
  hub.sweep();
  CHECK_FALSE(outbox.closed(a));
  CHECK(outbox.pings_to(a) == 1);  // 35 s since the answer: not yet idle again
  clock.advance_ms(25'000 - 1);   // just under 60 s since the answer
  hub.sweep();
  CHECK(outbox.pings_to(a) == 1);
  clock.advance_ms(1);
  hub.sweep();
  CHECK(outbox.pings_to(a) == 2);
  CHECK_FALSE(outbox.closed(a));
}

TEST_CASE_METHOD(HubFixture, "a client pinging more often than ping_interval is never pinged (10.2 #32)",
                 "[channels][liveness]") {
  const ConnectionId a = connect();
  for (int i = 0; i < 20; ++i) {
    clock.advance_ms(30'000);
    receive(a, R"({"event":"pusher:ping","data":{}})");
    hub.sweep();
  }
  CHECK(outbox.pings_to(a) == 0);
  CHECK(outbox.count(a, "pusher:ping") == 0);
  CHECK(outbox.count(a, "pusher:pong") == 20);
  CHECK_FALSE(outbox.closed(a));
}

TEST_CASE("ping_interval and pong_timeout come from the settings (8.3)", "[channels][liveness]") {
  HubSettings settings;
  settings.ping_interval_ms = 10'000;
  settings.pong_timeout_ms = 5'000;
  HubFixture f(default_apps(), settings);
  const ConnectionId a = f.connect();
  f.clock.advance_ms(10'000);
  f.hub.sweep();
  CHECK(f.outbox.pings_to(a) == 1);
  f.clock.advance_ms(5'000);
  f.hub.sweep();
  f.require_closed_with(a, 4201);
}

TEST_CASE_METHOD(HubFixture, "sweeping many connections pings only the idle ones", "[channels][liveness]") {
  const ConnectionId idle = connect();
  clock.advance_ms(30'000);
  const ConnectionId fresh = connect();
  clock.advance_ms(30'000);
  hub.sweep();
  CHECK(outbox.pings_to(idle) == 1);
  CHECK(outbox.pings_to(fresh) == 0);
}

// ---- Authorized connections (8.4) ----

namespace {

std::vector<App> authorized_mode_apps() {
  return HubFixture::apps_with([](App& a) {
    a.enable_user_authentication = true;
    a.user_authentication_timeout_ms = 30'000;
  });
}

}  // namespace

TEST_CASE("in authorized-connections mode an idle unauthorised connection gets 4009 (10.11 #159)",
          "[channels][liveness][authorized]") {
  HubFixture f(authorized_mode_apps());
  const ConnectionId a = f.connect();
  f.subscribe(a, "orders");  // public: does not count
  f.clock.advance_ms(30'000 - 1);
  f.hub.sweep();
  CHECK_FALSE(f.outbox.closed(a));
  f.clock.advance_ms(1);
  f.hub.sweep();
  f.require_closed_with(a, 4009);
  CHECK(f.outbox.last(a).at("data").at("message") == "Connection not authorized within timeout");
}

TEST_CASE("in authorized-connections mode signing in or joining a private channel keeps it open (10.11 #160)",
          "[channels][liveness][authorized]") {
  HubFixture f(authorized_mode_apps());
  const ConnectionId a = f.connect();
  SECTION("signin") { f.signin(a, R"({"id":"42"})"); }
  SECTION("private channel") { f.subscribe_private(a, "private-x"); }
  SECTION("presence channel") { f.join_as(a, "presence-x", "1"); }
  f.clock.advance_ms(31'000);
  f.hub.sweep();
  CHECK_FALSE(f.outbox.closed(a));
}

TEST_CASE("a failed signin does not stop the authorized-connections timer (2.13)",
          "[channels][liveness][authorized]") {
  HubFixture f(authorized_mode_apps());
  const ConnectionId a = f.connect();
  f.signin_with(a, "pws-key:bad", R"({"id":"42"})");
  f.clock.advance_ms(30'000);
  f.hub.sweep();
  f.require_closed_with(a, 4009);
}

TEST_CASE("connections opened before authorized-connections mode was enabled are not affected (8.4)",
          "[channels][liveness][authorized][set_apps]") {
  HubFixture f;
  const ConnectionId old_conn = f.connect();
  f.clock.advance_ms(45'000);
  f.hub.set_apps(directory(authorized_mode_apps()));
  REQUIRE_FALSE(f.outbox.closed(old_conn));
  const ConnectionId new_conn = f.connect();
  f.clock.advance_ms(30'000);
  f.hub.sweep();
  CHECK_FALSE(f.outbox.closed(old_conn));
  f.require_closed_with(new_conn, 4009);
}
