// Subscriptions to public, private, encrypted and cache channels (protocol
// reference 2.3-2.6, 2.11; checklist 10.3 #33-#50, 10.7 #106-#107).
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

const std::string kOrdersAck =
    R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"orders"})";

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  });
  return s;
}

}  // namespace

// ---- Public ----

TEST_CASE_METHOD(HubFixture, "subscribing to orders with auth \"\" yields exactly subscription_succeeded (10.3 #33)",
                 "[channels][subscribe]") {
  const ConnectionId a = connect();
  outbox.clear();
  receive(a, R"({"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}})");
  CHECK(outbox.payloads_to(a) == std::vector<std::string>{kOrdersAck});
  CHECK(hub.channel_info(app(), "orders").occupied);
  CHECK(hub.channel_info(app(), "orders").subscription_count == 1);
}

TEST_CASE_METHOD(HubFixture, "a public subscription with a bogus auth still succeeds (10.3 #34)",
                 "[channels][subscribe]") {
  const ConnectionId a = connect();
  outbox.clear();
  subscribe(a, "orders", "pws-key:not-a-signature");
  subscribe(a, "cache-ticker", "garbage");
  CHECK(succeeded(a, "orders"));
  CHECK(succeeded(a, "cache-ticker"));
  CHECK(outbox.count(a, "pusher:subscription_error") == 0);
}

TEST_CASE_METHOD(HubFixture, "subscribe data sent as a JSON string is processed identically (10.3 #35)",
                 "[channels][subscribe]") {
  const ConnectionId a = connect();
  outbox.clear();
  receive(a, R"({"event":"pusher:subscribe","data":"{\"auth\":\"\",\"channel\":\"orders\"}"})");
  CHECK(outbox.payloads_to(a) == std::vector<std::string>{kOrdersAck});

  SECTION("also for a private channel") {
    const std::string auth = private_auth(a, "private-x");
    receive(a, R"({"event":"pusher:subscribe","data":"{\"auth\":\")" + auth +
                   R"(\",\"channel\":\"private-x\"}"})");
    CHECK(succeeded(a, "private-x"));
  }
}

TEST_CASE("subscribing twice yields a second ack and no other change (10.3 #36, 2.3 step 5)",
          "[channels][subscribe]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.enable_subscription_count = true; }));
  RecordingObserver observer;
  f.hub.add_observer(&observer);
  const ConnectionId a = f.connect();
  const ConnectionId b = f.connect();
  f.subscribe(a, "orders");
  f.subscribe(b, "orders");
  f.outbox.clear();
  observer.events.clear();

  f.subscribe(b, "orders");
  CHECK(f.outbox.payloads_to(b) == std::vector<std::string>{kOrdersAck});
  CHECK(f.outbox.sends_to(a) == 0);  // no subscription_count re-broadcast
  CHECK(f.hub.channel_info(f.app(), "orders").subscription_count == 2);
  CHECK(observer.events.empty());  // no subscribed / occupied event (no webhook)

  SECTION("a single unsubscribe then removes it") {
    f.unsubscribe(b, "orders");
    CHECK(f.hub.channel_info(f.app(), "orders").subscription_count == 1);
  }
  f.hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "re-subscribing to a private channel still checks the signature (2.3 steps 3 and 5)",
                 "[channels][subscribe][private]") {
  // Section 2.3 processes a subscribe "in order": authorisation (step 3)
  // comes before the idempotency of step 5, so a repeated subscribe with a
  // bad signature is an AuthError like any other.
  const ConnectionId a = connect();
  subscribe_private(a, "private-chat");
  REQUIRE(succeeded(a, "private-chat"));
  outbox.clear();
  subscribe(a, "private-chat", "pws-key:0000");
  REQUIRE(outbox.messages_to(a).size() == 1);
  CHECK(outbox.last(a).at("event") == "pusher:subscription_error");
}

// ---- Private and encrypted ----

TEST_CASE_METHOD(HubFixture, "a private subscription with the right signature succeeds (10.3 #37)",
                 "[channels][subscribe][private]") {
  const ConnectionId a = connect();
  outbox.clear();
  subscribe_private(a, "private-orders.42");
  CHECK(outbox.payloads_to(a) ==
        std::vector<std::string>{
            R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"private-orders.42"})"});
}

TEST_CASE_METHOD(HubFixture, "private subscriptions with a bad auth get AuthError 401 and stay open (10.3 #38-#41)",
                 "[channels][subscribe][private]") {
  const ConnectionId a = connect();
  const ConnectionId other = connect();
  const std::string channel = "private-orders.42";
  const std::string good = private_auth(a, channel);
  const std::string hex = good.substr(good.find(':') + 1);
  outbox.clear();

  SECTION("signed for a different socket_id (#38)") { subscribe(a, channel, private_auth(other, channel)); }
  SECTION("no auth (#39)") {
    receive(a, R"({"event":"pusher:subscribe","data":{"channel":"private-orders.42"}})");
  }
  SECTION("empty auth") { subscribe(a, channel, ""); }
  SECTION("key part is not the app key (#40)") { subscribe(a, channel, "other-key:" + hex); }
  SECTION("upper-case hex (#41)") { subscribe(a, channel, "pws-key:" + upper(hex)); }
  SECTION("no colon") { subscribe(a, channel, "pws-key" + hex); }
  SECTION("empty key part") { subscribe(a, channel, ":" + hex); }
  SECTION("empty signature part") { subscribe(a, channel, "pws-key:"); }
  SECTION("signed for another channel") { subscribe(a, channel, private_auth(a, "private-orders.43")); }
  SECTION("signed with another secret") {
    subscribe(a, channel, HubFixture::sign(sid(a) + ":" + channel, kKey, "wrong-secret"));
  }
  SECTION("signature followed by junk") { subscribe(a, channel, good + "0"); }

  REQUIRE(outbox.messages_to(a).size() == 1);
  const auto msg = outbox.last(a);
  CHECK(msg.at("event") == "pusher:subscription_error");
  CHECK(msg.at("channel") == "private-orders.42");
  const json::object data = subscription_error(a);
  CHECK(data.at("type") == "AuthError");
  CHECK(data.at("status") == 401);
  CHECK(data.at("error").is_string());
  CHECK_FALSE(outbox.closed(a));
  CHECK_FALSE(hub.channel_info(app(), channel).occupied);

  // The connection can still subscribe properly afterwards.
  subscribe(a, channel, good);
  CHECK(succeeded(a, channel));
}

TEST_CASE_METHOD(HubFixture, "private-encrypted accepts socket_id:channel and rejects a presence-style signature (10.3 #42)",
                 "[channels][subscribe][private]") {
  const ConnectionId a = connect();
  const std::string channel = "private-encrypted-payroll";
  outbox.clear();
  SECTION("private-style") {
    subscribe_private(a, channel);
    CHECK(succeeded(a, channel));
  }
  SECTION("presence-style") {
    const std::string cd = R"({"user_id":"42"})";
    subscribe(a, channel, presence_auth(a, channel, cd), cd);
    CHECK(subscription_error(a).at("type") == "AuthError");
  }
}

TEST_CASE_METHOD(HubFixture, "cache variants keep the auth rules of their family (10.7 #104)",
                 "[channels][subscribe][private]") {
  const ConnectionId a = connect();
  for (const char* ch : {"private-cache-ticker", "private-encrypted-cache-x"}) {
    INFO(ch);
    subscribe(a, ch, "");
    CHECK(subscription_error(a).at("type") == "AuthError");
    subscribe_private(a, ch);
    CHECK(succeeded(a, ch));
  }
  subscribe(a, "presence-cache-room", private_auth(a, "presence-cache-room"), R"({"user_id":"1"})");
  CHECK(subscription_error(a).at("type") == "AuthError");
  join_as(a, "presence-cache-room", "1");
  CHECK(succeeded(a, "presence-cache-room"));
}

// ---- Names ----

TEST_CASE_METHOD(HubFixture, "a bad channel name yields subscription_error InvalidChannelName (10.3 #44)",
                 "[channels][subscribe][names]") {
  const ConnectionId a = connect();
  for (const char* name : {"with space", "#foo", "private-\xc3\xa9", "", "#server-to-user-",
                           "private-bad name"}) {
    INFO('"' << name << '"');
    outbox.clear();
    subscribe(a, name, "");
    REQUIRE(outbox.messages_to(a).size() == 1);
    CHECK(outbox.last(a).at("channel") == json::value(json::string(name)));
    const json::object data = subscription_error(a);
    CHECK(data.at("type") == "InvalidChannelName");
    CHECK(data.at("status") == 4009);
  }
  CHECK_FALSE(outbox.closed(a));
  CHECK(hub.occupied_channels(app(), "").empty());
}

TEST_CASE_METHOD(HubFixture, "a 165-character name is LimitReached and 164 succeeds (10.3 #45)",
                 "[channels][subscribe][names]") {
  const ConnectionId a = connect();
  const std::string ok(164, 'x');
  const std::string too_long(165, 'x');
  subscribe(a, too_long);
  const json::object data = subscription_error(a);
  CHECK(data.at("type") == "LimitReached");
  CHECK(data.at("status") == 4009);
  subscribe(a, ok);
  CHECK(succeeded(a, ok));
}

TEST_CASE("max_channel_name_length is taken from the app (6)", "[channels][subscribe][names]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.limits.max_channel_name_length = 200; }));
  const ConnectionId a = f.connect();
  f.subscribe(a, std::string(200, 'y'));
  CHECK(f.succeeded(a, std::string(200, 'y')));
  f.subscribe(a, std::string(201, 'y'));
  CHECK(f.subscription_error(a).at("type") == "LimitReached");
}

TEST_CASE_METHOD(HubFixture, "the name foo-bar_1234@=,.(semicolon) is accepted (10.3 #46)", "[channels][subscribe][names]") {
  const ConnectionId a = connect();
  subscribe(a, "foo-bar_1234@=,.;");
  CHECK(succeeded(a, "foo-bar_1234@=,.;"));
  subscribe_private(a, "private-App.Models.User.1");
  CHECK(succeeded(a, "private-App.Models.User.1"));
}

TEST_CASE_METHOD(HubFixture, "subscription_error carries channel and object data type, error, status (10.3 #47)",
                 "[channels][subscribe]") {
  const ConnectionId a = connect();
  outbox.clear();
  subscribe(a, "private-orders.42", "pws-key:bad");
  const std::string p = outbox.last_payload(a);
  CHECK(p.rfind(R"({"event":"pusher:subscription_error","data":{"type":"AuthError","error":")", 0) == 0);
  CHECK(std::string_view(p).ends_with(R"(,"status":401},"channel":"private-orders.42"})"));
  const json::object msg = outbox.last(a);
  CHECK(msg.size() == 3);
  const json::object& data = msg.at("data").as_object();
  CHECK(data.size() == 3);
  CHECK(data.contains("type"));
  CHECK(data.contains("error"));
  CHECK(data.contains("status"));
}

TEST_CASE("too many subscriptions on one connection is LimitReached 4100",
          "[channels][subscribe][limits]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.limits.max_subscriptions_per_connection = 2; }));
  const ConnectionId a = f.connect();
  f.subscribe(a, "one");
  f.subscribe(a, "two");
  f.subscribe(a, "three");
  const json::object data = f.subscription_error(a);
  CHECK(data.at("type") == "LimitReached");
  CHECK(data.at("status") == 4100);
  CHECK_FALSE(f.hub.channel_info(f.app(), "three").occupied);
  f.subscribe(a, "two");  // re-subscribing an existing one is still fine
  CHECK(f.outbox.last(a).at("event") == "pusher_internal:subscription_succeeded");
}

// ---- Unsubscribe ----

TEST_CASE_METHOD(HubFixture, "pusher:unsubscribe produces no reply (10.3 #48)", "[channels][unsubscribe]") {
  const ConnectionId a = connect();
  subscribe(a, "orders");
  outbox.clear();
  unsubscribe(a, "orders");
  CHECK(outbox.log.empty());
  CHECK_FALSE(hub.channel_info(app(), "orders").occupied);
}

TEST_CASE_METHOD(HubFixture, "after unsubscribing the connection no longer receives the channel's events (10.3 #49)",
                 "[channels][unsubscribe]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe(a, "orders");
  subscribe(b, "orders");
  unsubscribe(a, "orders");
  outbox.clear();
  hub.publish(app(), PublishRequest{"e", "{}", {"orders"}, {}});
  CHECK(outbox.sends_to(a) == 0);
  CHECK(outbox.sends_to(b) == 1);
}

TEST_CASE_METHOD(HubFixture, "unsubscribing from a channel never subscribed is silently ignored (10.3 #50)",
                 "[channels][unsubscribe]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe(b, "orders");
  outbox.clear();
  unsubscribe(a, "orders");
  unsubscribe(a, "never");
  unsubscribe(a, "#server-to-user-1");
  receive(a, R"({"event":"pusher:unsubscribe","data":"{\"channel\":\"nope\"}"})");
  CHECK(outbox.log.empty());
  CHECK(hub.channel_info(app(), "orders").subscription_count == 1);
}

TEST_CASE_METHOD(HubFixture, "unsubscribing one of many keeps the others delivered",
                 "[channels][unsubscribe]") {
  // Exercises the swap-and-pop bookkeeping of subscriber positions.
  std::vector<ConnectionId> ids;
  for (int i = 0; i < 6; ++i) {
    ids.push_back(connect());
    subscribe(ids.back(), "orders");
    subscribe(ids.back(), "news");
  }
  unsubscribe(ids[1], "orders");
  unsubscribe(ids[0], "orders");
  hub.close(ids[4]);
  unsubscribe(ids[5], "news");
  outbox.clear();
  hub.publish(app(), PublishRequest{"e", "{}", {"orders", "news"}, {}});
  CHECK(outbox.sends_to(ids[0]) == 1);  // news
  CHECK(outbox.sends_to(ids[1]) == 1);  // news
  CHECK(outbox.sends_to(ids[2]) == 2);
  CHECK(outbox.sends_to(ids[3]) == 2);
  CHECK(outbox.sends_to(ids[4]) == 0);
  CHECK(outbox.sends_to(ids[5]) == 1);  // orders
  CHECK(hub.channel_info(app(), "orders").subscription_count == 3);
  CHECK(hub.channel_info(app(), "news").subscription_count == 4);
  for (ConnectionId id : ids) hub.close(id);
  CHECK(hub.occupied_channels(app(), "").empty());
}

// ---- Subscription count (2.11) ----

TEST_CASE("with subscription counting every subscriber gets the count after each change (10.7 #106)",
          "[channels][subscribe][count]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.enable_subscription_count = true; }));
  auto count_frame = [](int n) {
    return R"({"event":"pusher_internal:subscription_count","data":"{\"subscription_count\":)" +
           std::to_string(n) + R"(}","channel":"orders"})";
  };
  const ConnectionId a = f.connect();
  const ConnectionId b = f.connect();
  f.outbox.clear();
  f.subscribe(a, "orders");
  CHECK(f.outbox.payloads_to(a) == std::vector<std::string>{kOrdersAck, count_frame(1)});
  f.outbox.clear();
  f.subscribe(b, "orders");
  CHECK(f.outbox.payloads_to(b) == std::vector<std::string>{kOrdersAck, count_frame(2)});
  CHECK(f.outbox.payloads_to(a) == std::vector<std::string>{count_frame(2)});
  f.outbox.clear();
  f.unsubscribe(b, "orders");
  CHECK(f.outbox.payloads_to(a) == std::vector<std::string>{count_frame(1)});
  CHECK(f.outbox.sends_to(b) == 0);
  f.outbox.clear();
  f.hub.close(a);
  CHECK(f.outbox.log.empty());
}

TEST_CASE_METHOD(HubFixture, "without subscription counting no subscription_count is sent (10.7 #107)",
                 "[channels][subscribe][count]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe(a, "orders");
  subscribe(b, "orders");
  unsubscribe(b, "orders");
  CHECK(outbox.count(a, "pusher_internal:subscription_count") == 0);
  CHECK(outbox.count(b, "pusher_internal:subscription_count") == 0);
}

TEST_CASE("presence channels never receive subscription_count (10.4 #67)", "[channels][subscribe][count]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.enable_subscription_count = true; }));
  const ConnectionId a = f.connect();
  const ConnectionId b = f.connect();
  f.join_as(a, "presence-room", "1");
  f.join_as(b, "presence-room", "2");
  f.unsubscribe(b, "presence-room");
  CHECK(f.outbox.count(a, "pusher_internal:subscription_count") == 0);
  CHECK(f.outbox.count(b, "pusher_internal:subscription_count") == 0);
}
