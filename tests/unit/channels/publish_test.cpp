// Publishing from the HTTP API side and the read queries behind GET
// /channels (protocol reference 2.8, 3.5, 5.5, 5.7-5.9).
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

TEST_CASE_METHOD(HubFixture, "a published event reaches every subscriber with the data unchanged (2.8)",
                 "[channels][publish]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  const ConnectionId c = connect();
  subscribe(a, "orders");
  subscribe(b, "orders");
  outbox.clear();
  // Every frame queued counts (connection_established and acks above too).
  const AppCounters before = hub.counters(kAppId);
  hub.publish(app(), PublishRequest{"order-shipped", R"({"id":42})", {"orders"}, {}});
  const std::string expected = R"({"event":"order-shipped","data":"{\"id\":42}","channel":"orders"})";
  CHECK(outbox.payloads_to(a) == std::vector<std::string>{expected});
  CHECK(outbox.payloads_to(b) == std::vector<std::string>{expected});
  CHECK(outbox.sends_to(c) == 0);
  CHECK(hub.counters(kAppId).messages_out - before.messages_out == 2);
  CHECK(hub.counters(kAppId).bytes_out - before.bytes_out == 2 * expected.size());
}

TEST_CASE_METHOD(HubFixture, "all recipients of a channel share one encoded Frame", "[channels][publish]") {
  std::vector<ConnectionId> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(connect());
    subscribe(ids.back(), "orders");
    subscribe(ids.back(), "news");
  }
  outbox.clear();
  hub.publish(app(), PublishRequest{"e", "{}", {"orders", "news"}, {}});
  const auto first = outbox.frames_to(ids[0]);
  REQUIRE(first.size() == 2);
  for (ConnectionId id : ids) {
    const auto frames = outbox.frames_to(id);
    REQUIRE(frames.size() == 2);
    CHECK(frames[0].payload().data() == first[0].payload().data());
    CHECK(frames[1].payload().data() == first[1].payload().data());
  }
  // One encoding per channel (the channel name differs).
  CHECK(first[0].payload().data() != first[1].payload().data());
  CHECK(first[0].payload() == R"({"event":"e","data":"{}","channel":"orders"})");
  CHECK(first[1].payload() == R"({"event":"e","data":"{}","channel":"news"})");
}

TEST_CASE_METHOD(HubFixture, "the connection named by socket_id is excluded (2.8, 5.5)", "[channels][publish]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe(a, "orders");
  subscribe(b, "orders");
  subscribe(a, "news");
  outbox.clear();
  const std::uint64_t sent_before = hub.counters(kAppId).messages_out;
  hub.publish(app(), PublishRequest{"e", "{}", {"orders", "news"}, sid(a)});
  CHECK(outbox.sends_to(a) == 0);
  CHECK(outbox.sends_to(b) == 1);
  CHECK(hub.counters(kAppId).messages_out - sent_before == 1);

  SECTION("an unknown socket_id excludes nobody") {
    outbox.clear();
    hub.publish(app(), PublishRequest{"e", "{}", {"orders"}, "1.1"});
    CHECK(outbox.sends_to(a) == 1);
    CHECK(outbox.sends_to(b) == 1);
  }
  SECTION("a socket_id of another app excludes nobody") {
    const ConnectionId other = connect("other-key");
    outbox.clear();
    hub.publish(app(), PublishRequest{"e", "{}", {"orders"}, sid(other)});
    CHECK(outbox.sends_to(a) == 1);
    CHECK(outbox.sends_to(b) == 1);
  }
}

TEST_CASE_METHOD(HubFixture, "an event to several channels gives one message per channel subscribed", "[channels][publish]") {
  const ConnectionId a = connect();
  for (const char* ch : {"one", "two", "three"}) subscribe(a, ch);
  outbox.clear();
  hub.publish(app(), PublishRequest{"e", "x", {"one", "two", "three", "empty"}, {}});
  const auto msgs = outbox.messages_to(a);
  REQUIRE(msgs.size() == 3);
  CHECK(msgs[0].at("channel") == "one");
  CHECK(msgs[1].at("channel") == "two");
  CHECK(msgs[2].at("channel") == "three");
}

TEST_CASE_METHOD(HubFixture, "publishing to an empty channel reaches nobody (3.5)", "[channels][publish]") {
  connect();
  outbox.clear();
  hub.publish(app(), PublishRequest{"e", "{}", {"nobody-here"}, {}});
  CHECK(outbox.log.empty());
  CHECK_FALSE(hub.channel_info(app(), "nobody-here").occupied);
}

TEST_CASE_METHOD(HubFixture, "an event named App\\Events\\OrderShipped is delivered as-is (2.8)",
                 "[channels][publish]") {
  const ConnectionId a = connect();
  subscribe(a, "orders");
  outbox.clear();
  hub.publish(app(), PublishRequest{R"(App\Events\OrderShipped)", R"({"order":1})", {"orders"}, {}});
  CHECK(outbox.last_payload(a) ==
        R"({"event":"App\\Events\\OrderShipped","data":"{\"order\":1}","channel":"orders"})");
  CHECK(outbox.last(a).at("event") == R"(App\Events\OrderShipped)");
}

TEST_CASE_METHOD(HubFixture, "data on a private-encrypted channel is delivered byte-identical (10.3 #43)",
                 "[channels][publish]") {
  const ConnectionId a = connect();
  subscribe_private(a, "private-encrypted-payroll");
  outbox.clear();
  const std::string data =
      R"({"nonce":"EBESExQVFhcYGRobHB0eHyAhIiMkJSYn","ciphertext":"gCyOhQebrJ9lFo4ST5kQSMUQpH8qTWDD435zRBOUMio2mWWEbxSwTMw+1mZxMkA="})";
  hub.publish(app(), PublishRequest{"salary", data, {"private-encrypted-payroll"}, {}});
  CHECK(outbox.last(a).at("data") == json::value(json::string(data)));
}

TEST_CASE_METHOD(HubFixture, "apps are isolated: the same channel name in two apps", "[channels][publish]") {
  const ConnectionId mine = connect();
  const ConnectionId theirs = connect("other-key");
  subscribe(mine, "orders");
  subscribe(theirs, "orders");
  outbox.clear();
  hub.publish(app(), PublishRequest{"e", "{}", {"orders"}, {}});
  CHECK(outbox.sends_to(mine) == 1);
  CHECK(outbox.sends_to(theirs) == 0);
  const App* other = hub.apps().find_by_id("2002");
  REQUIRE(other != nullptr);
  CHECK(hub.channel_info(*other, "orders").subscription_count == 1);
  CHECK(hub.occupied_channels(*other, "") == std::vector<std::string>{"orders"});
}

TEST_CASE_METHOD(HubFixture, "channel_info reports occupation, subscriptions and users (5.8)",
                 "[channels][queries]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  const ConnectionId c = connect();
  subscribe(a, "orders");
  subscribe(b, "orders");
  join_as(a, "presence-room", "1");
  join_as(b, "presence-room", "1");
  join_as(c, "presence-room", "2");

  const ChannelInfo orders = hub.channel_info(app(), "orders");
  CHECK(orders.occupied);
  CHECK(orders.subscription_count == 2);
  CHECK(orders.user_count == 0);
  const ChannelInfo room = hub.channel_info(app(), "presence-room");
  CHECK(room.occupied);
  CHECK(room.subscription_count == 3);
  CHECK(room.user_count == 2);
  const ChannelInfo none = hub.channel_info(app(), "none");
  CHECK_FALSE(none.occupied);
  CHECK(none.subscription_count == 0);
  CHECK(none.user_count == 0);

  const App* disabled = hub.apps().find_by_id("1002");
  REQUIRE(disabled != nullptr);
  CHECK_FALSE(hub.channel_info(*disabled, "orders").occupied);
  CHECK(hub.occupied_channels(*disabled, "").empty());
  CHECK(hub.presence_user_ids(*disabled, "presence-room").empty());
}

TEST_CASE_METHOD(HubFixture, "occupied_channels filters by prefix and is sorted (5.7)", "[channels][queries]") {
  const ConnectionId a = connect();
  for (const char* ch : {"presence-b", "orders", "presence-a", "news"}) {
    if (std::string_view(ch).starts_with("presence-"))
      join_as(a, ch, "1");
    else
      subscribe(a, ch);
  }
  subscribe_private(a, "private-x");
  CHECK(hub.occupied_channels(app(), "") ==
        std::vector<std::string>{"news", "orders", "presence-a", "presence-b", "private-x"});
  CHECK(hub.occupied_channels(app(), "presence-") == std::vector<std::string>{"presence-a", "presence-b"});
  CHECK(hub.occupied_channels(app(), "zzz").empty());
  unsubscribe(a, "orders");
  CHECK(hub.occupied_channels(app(), "o").empty());
}

TEST_CASE_METHOD(HubFixture, "presence_user_ids lists distinct users in join order (5.9)", "[channels][queries]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  join_as(a, "presence-room", "9");
  join_as(b, "presence-room", "3");
  join_as(b, "presence-other", "9");
  const ConnectionId c = connect();
  join_presence(c, "presence-room", R"({"user_id":9})");
  CHECK(hub.presence_user_ids(app(), "presence-room") == std::vector<std::string>{"9", "3"});
  CHECK(hub.presence_user_ids(app(), "presence-other") == std::vector<std::string>{"9"});
  CHECK(hub.presence_user_ids(app(), "presence-none").empty());
  subscribe(a, "orders");
  CHECK(hub.presence_user_ids(app(), "orders").empty());
}

TEST_CASE_METHOD(HubFixture, "publishing is reported to observers once per channel", "[channels][publish][observer]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  hub.publish(app(), PublishRequest{"e", "d", {"a", "b"}, {}});
  CHECK(observer.events == std::vector<std::string>{"api_message a e d", "api_message b e d"});
  hub.remove_observer(&observer);
}
