// Observers receive the hub's lifecycle events in order (observer.hpp):
// connections, subscriptions, channel occupancy, presence membership and
// errors sent to clients.
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

TEST_CASE_METHOD(HubFixture, "observers see a connection's whole life in order", "[channels][observer]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  auto [a, ok] = open(OpenRequest{kKey, "7", "https://example.com", false});
  REQUIRE(ok);
  const std::string s = sid(a);
  subscribe(a, "orders");
  join_as(a, "presence-room", "42");
  unsubscribe(a, "orders");
  hub.close(a);
  CHECK(observer.events == std::vector<std::string>{
                               "connected " + s + " https://example.com",
                               "occupied orders",
                               "subscribed " + s + " orders",
                               "occupied presence-room",
                               "member_added presence-room 42",
                               "subscribed " + s + " presence-room",
                               "unsubscribed " + s + " orders",
                               "vacated orders",
                               // close: every channel is left, then the disconnect
                               "member_removed presence-room 42",
                               "unsubscribed " + s + " presence-room",
                               "vacated presence-room",
                               "disconnected " + s,
                           });
  hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "a member's second connection leaving reports no member_removed",
                 "[channels][observer]") {
  RecordingObserver observer;
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  join_as(a, "presence-room", "42");
  join_as(b, "presence-room", "42");
  hub.add_observer(&observer);
  const std::string s = sid(a);
  hub.close(a);
  CHECK(observer.events ==
        std::vector<std::string>{"unsubscribed " + s + " presence-room", "disconnected " + s});
  hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "channel_occupied and channel_vacated fire once per transition (7.3)",
                 "[channels][observer]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe(a, "orders");
  subscribe(b, "orders");
  unsubscribe(a, "orders");
  hub.close(b);
  CHECK(std::count(observer.events.begin(), observer.events.end(), "occupied orders") == 1);
  CHECK(std::count(observer.events.begin(), observer.events.end(), "vacated orders") == 1);
  hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "refused handshakes and errors sent to clients are reported", "[channels][observer]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  open(OpenRequest{"nope", "7", {}, false});
  open(OpenRequest{"off-key", "7", {}, false});
  open(OpenRequest{kKey, "9", {}, false});
  CHECK(observer.events ==
        std::vector<std::string>{"client_error 4001 -", "client_error 4003 1002", "client_error 4007 -"});
  const ConnectionId a = connect();
  observer.events.clear();
  receive(a, "junk");
  subscribe(a, "private-x", "bad");
  CHECK(observer.events == std::vector<std::string>{"client_error 0 1001", "client_error 401 1001"});
  hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "a removed observer hears nothing more while other observers still do",
                 "[channels][observer]") {
  RecordingObserver first, second;
  hub.add_observer(&first);
  hub.add_observer(&second);
  const ConnectionId a = connect();
  hub.remove_observer(&first);
  subscribe(a, "orders");
  CHECK(first.events.size() == 1);   // connected
  CHECK(second.events.size() == 3);  // connected, occupied, subscribed
  hub.remove_observer(&second);
}
