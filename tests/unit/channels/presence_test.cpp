// Presence channels: membership bookkeeping, member events and limits
// (protocol reference 2.3 step 4, 2.4, 2.7, 3.4; checklist 10.4 #51-#66).
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

const std::string kRoom = "presence-room-1";
const std::string kAda = R"({"user_id":"42","user_info":{"name":"Ada","role":"admin"}})";

std::string member_removed(std::string_view user_id) {
  return R"({"event":"pusher_internal:member_removed","data":"{\"user_id\":\")" + std::string(user_id) +
         R"(\"}","channel":"presence-room-1"})";
}

/// The decoded "presence" object of the last subscription_succeeded to `id`.
json::object presence_of(const HubFixture& f, ConnectionId id) {
  auto acks = f.outbox.messages_to(id, "pusher_internal:subscription_succeeded");
  REQUIRE_FALSE(acks.empty());
  REQUIRE(acks.back().at("data").is_string());
  return decoded_data(acks.back()).at("presence").as_object();
}

}  // namespace

TEST_CASE_METHOD(HubFixture, "a presence subscription gets the presence data as a string (10.4 #51, #52)",
                 "[channels][presence]") {
  const ConnectionId a = connect();
  outbox.clear();
  join_presence(a, kRoom, kAda);
  CHECK(outbox.payloads_to(a) ==
        std::vector<std::string>{
            R"({"event":"pusher_internal:subscription_succeeded","data":"{\"presence\":{\"ids\":[\"42\"],\"hash\":{\"42\":{\"name\":\"Ada\",\"role\":\"admin\"}},\"count\":1}}","channel":"presence-room-1"})"});

  const ConnectionId b = connect();
  join_as(b, kRoom, "7", R"({"name":"Bob"})");
  const json::object p = presence_of(*this, b);
  CHECK(p.at("ids") == json::parse(R"(["42","7"])"));
  CHECK(p.at("hash") == json::parse(R"({"42":{"name":"Ada","role":"admin"},"7":{"name":"Bob"}})"));
  CHECK(p.at("count") == 2);
  CHECK(hub.presence_user_ids(app(), kRoom) == std::vector<std::string>{"42", "7"});
  CHECK(hub.channel_info(app(), kRoom).user_count == 2);
  CHECK(hub.channel_info(app(), kRoom).subscription_count == 2);
}

TEST_CASE_METHOD(HubFixture, "the presence vector C signature is what the hub checks (4.6 C)",
                 "[channels][presence]") {
  // Same formula as the test vector, with this connection's socket id.
  const ConnectionId a = connect();
  const std::string expected = "pws-key:" + crypto::hmac_sha256_hex(
                                                "pws-secret", sid(a) + ":presence-room-1:" + kAda);
  CHECK(presence_auth(a, kRoom, kAda) == expected);
  subscribe(a, kRoom, expected, kAda);
  CHECK(succeeded(a, kRoom));
}

TEST_CASE_METHOD(HubFixture, "a numeric user_id 42 appears as the string \"42\" (10.4 #53)", "[channels][presence]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  join_as(a, kRoom, "7");
  outbox.clear();
  join_presence(b, kRoom, R"({"user_id":42})");
  const json::object p = presence_of(*this, b);
  CHECK(p.at("ids") == json::parse(R"(["7","42"])"));
  CHECK(p.at("hash").as_object().contains("42"));
  CHECK(outbox.payloads_to(a) ==
        std::vector<std::string>{
            R"({"event":"pusher_internal:member_added","data":"{\"user_id\":\"42\",\"user_info\":{}}","channel":"presence-room-1"})"});
  CHECK(hub.presence_user_ids(app(), kRoom) == std::vector<std::string>{"7", "42"});

  SECTION("the numeric and string spellings are the same member") {
    const ConnectionId c = connect();
    outbox.clear();
    join_as(c, kRoom, "42");
    CHECK(outbox.sends_to(a) == 0);
    CHECK(presence_of(*this, c).at("count") == 2);
  }
}

TEST_CASE_METHOD(HubFixture, "existing subscribers get member_added but the joining socket does not (10.4 #54)",
                 "[channels][presence]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  const ConnectionId joiner = connect();
  join_as(a, kRoom, "1");
  join_as(b, kRoom, "2");
  outbox.clear();
  join_presence(joiner, kRoom, kAda);
  const std::string expected =
      R"({"event":"pusher_internal:member_added","data":"{\"user_id\":\"42\",\"user_info\":{\"name\":\"Ada\",\"role\":\"admin\"}}","channel":"presence-room-1"})";
  CHECK(outbox.payloads_to(a) == std::vector<std::string>{expected});
  CHECK(outbox.payloads_to(b) == std::vector<std::string>{expected});
  CHECK(outbox.count(joiner, "pusher_internal:member_added") == 0);
  CHECK(outbox.messages_to(joiner).size() == 1);  // only its subscription_succeeded
  // One encoding shared by both recipients.
  CHECK(outbox.frames_to(a)[0].payload().data() == outbox.frames_to(b)[0].payload().data());
}

TEST_CASE_METHOD(HubFixture, "second connection of a user does not re-broadcast member_added (10.4 #55)",
                 "[channels][presence]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  const ConnectionId other = connect();
  const ConnectionId first = connect();
  const ConnectionId second = connect();
  join_as(other, kRoom, "7");
  join_presence(first, kRoom, kAda);
  const auto p1 = presence_of(*this, first);
  outbox.clear();
  observer.events.clear();

  join_presence(second, kRoom, kAda);
  CHECK(outbox.sends_to(other) == 0);
  CHECK(outbox.sends_to(first) == 0);
  const auto p2 = presence_of(*this, second);
  CHECK(p2.at("count") == p1.at("count"));
  CHECK(p2.at("count") == 2);
  CHECK(p2.at("ids") == json::parse(R"(["7","42"])"));
  CHECK(hub.channel_info(app(), kRoom).user_count == 2);
  CHECK(hub.channel_info(app(), kRoom).subscription_count == 3);
  CHECK(std::count_if(observer.events.begin(), observer.events.end(),
                      [](const std::string& e) { return e.rfind("member_added", 0) == 0; }) == 0);
  hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "member_removed only when the user's last connection leaves (10.4 #56, #57)",
                 "[channels][presence]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  const ConnectionId watcher1 = connect();
  const ConnectionId watcher2 = connect();
  const ConnectionId c1 = connect();
  const ConnectionId c2 = connect();
  join_as(watcher1, kRoom, "1");
  join_as(watcher2, kRoom, "2");
  join_as(c1, kRoom, "42");
  join_as(c2, kRoom, "42");
  outbox.clear();
  observer.events.clear();

  SECTION("by closing") {
    hub.close(c1);
    CHECK(outbox.log.empty());
    CHECK(hub.presence_user_ids(app(), kRoom) == std::vector<std::string>{"1", "2", "42"});
    hub.close(c2);
  }
  SECTION("by unsubscribing") {
    unsubscribe(c1, kRoom);
    CHECK(outbox.log.empty());
    unsubscribe(c2, kRoom);
    CHECK(outbox.sends_to(c1) == 0);
    CHECK(outbox.sends_to(c2) == 0);
  }
  SECTION("one by closing, the other by unsubscribing") {
    unsubscribe(c2, kRoom);
    CHECK(outbox.log.empty());
    hub.close(c1);
  }
  CHECK(outbox.payloads_to(watcher1) == std::vector<std::string>{member_removed("42")});
  CHECK(outbox.payloads_to(watcher2) == std::vector<std::string>{member_removed("42")});
  CHECK(hub.presence_user_ids(app(), kRoom) == std::vector<std::string>{"1", "2"});
  CHECK(std::count(observer.events.begin(), observer.events.end(),
                   "member_removed presence-room-1 42") == 1);
  hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "the last member leaving sends no member_removed to anyone and vacates",
                 "[channels][presence]") {
  const ConnectionId a = connect();
  join_as(a, kRoom, "1");
  outbox.clear();
  unsubscribe(a, kRoom);
  CHECK(outbox.log.empty());
  CHECK_FALSE(hub.channel_info(app(), kRoom).occupied);
  CHECK(hub.presence_user_ids(app(), kRoom).empty());
}

TEST_CASE_METHOD(HubFixture, "a member without user_info appears with {} (10.4 #58)", "[channels][presence]") {
  const ConnectionId a = connect();
  SECTION("absent") { join_presence(a, kRoom, R"({"user_id":"5"})"); }
  SECTION("null") { join_presence(a, kRoom, R"({"user_id":"5","user_info":null})"); }
  CHECK(presence_of(*this, a).at("hash") == json::parse(R"({"5":{}})"));
}

TEST_CASE_METHOD(HubFixture, "user_info of the first connection is kept and compact (2.4)", "[channels][presence]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  join_presence(a, kRoom, R"({"user_id":"5", "user_info": { "name" : "First" }})");
  join_presence(b, kRoom, R"({"user_id":"5","user_info":{"name":"Second"}})");
  const std::string data = str(outbox.messages_to(b, "pusher_internal:subscription_succeeded").back().at("data"));
  CHECK(data == R"({"presence":{"ids":["5"],"hash":{"5":{"name":"First"}},"count":1}})");
}

TEST_CASE_METHOD(HubFixture, "when the first connection leaves, the next one still present gives user_info (2.4)",
                 "[channels][presence]") {
  // 2.4: "the user_info recorded for the user is the one from that user's
  // first connection still present".
  const ConnectionId first = connect();
  const ConnectionId second = connect();
  join_as(first, kRoom, "5", R"({"name":"First"})");
  join_as(second, kRoom, "5", R"({"name":"Second"})");
  hub.close(first);
  const ConnectionId late = connect();
  join_as(late, kRoom, "9");
  CHECK(presence_of(*this, late).at("hash").at("5") == json::parse(R"({"name":"Second"})"));
}

TEST_CASE_METHOD(HubFixture, "bad presence channel_data yields AuthError 401 (10.4 #59, #60, #61, 2.5)",
                 "[channels][presence]") {
  const ConnectionId a = connect();
  outbox.clear();
  SECTION("user_id missing, correctly signed (#59)") { join_presence(a, kRoom, R"({"user_info":{"name":"x"}})"); }
  SECTION("one byte changed after signing (#60)") {
    subscribe(a, kRoom, presence_auth(a, kRoom, kAda), R"({"user_id":"42", "user_info":{"name":"Ada","role":"admin"}})");
  }
  SECTION("no channel_data and not signed in (#61)") { subscribe(a, kRoom, private_auth(a, kRoom)); }
  SECTION("empty user_id") { join_presence(a, kRoom, R"({"user_id":""})"); }
  SECTION("null user_id") { join_presence(a, kRoom, R"({"user_id":null})"); }
  SECTION("boolean user_id") { join_presence(a, kRoom, R"({"user_id":true})"); }
  SECTION("object user_id") { join_presence(a, kRoom, R"({"user_id":{"id":1}})"); }
  SECTION("fractional user_id") { join_presence(a, kRoom, R"({"user_id":4.5})"); }
  SECTION("channel_data not JSON") { join_presence(a, kRoom, "user 42"); }
  SECTION("channel_data not an object") { join_presence(a, kRoom, R"(["42"])"); }
  SECTION("signed without channel_data but sent with it") {
    subscribe(a, kRoom, private_auth(a, kRoom), kAda);
  }
  REQUIRE(outbox.messages_to(a).size() == 1);
  const json::object data = subscription_error(a);
  CHECK(data.at("type") == "AuthError");
  CHECK(data.at("status") == 401);
  CHECK_FALSE(outbox.closed(a));
  CHECK_FALSE(hub.channel_info(app(), kRoom).occupied);
}

TEST_CASE_METHOD(HubFixture, "a signed-in connection joins without channel_data as its user (10.4 #62, 4.6 C)",
                 "[channels][presence][signin]") {
  const ConnectionId a = connect();
  signin(a, R"({"id":"42","user_info":{"name":"Ada"}})");
  outbox.clear();
  subscribe(a, kRoom, private_auth(a, kRoom));  // socket_id:channel only
  CHECK(presence_of(*this, a).at("hash") == json::parse(R"({"42":{"name":"Ada"}})"));
  CHECK(hub.presence_user_ids(app(), kRoom) == std::vector<std::string>{"42"});

  SECTION("a signed-in user without user_info joins with {}") {
    const ConnectionId b = connect();
    signin(b, R"({"id":"7"})");
    subscribe(b, kRoom, private_auth(b, kRoom));
    CHECK(presence_of(*this, b).at("hash").at("7") == json::object{});
  }
}

TEST_CASE_METHOD(HubFixture, "channel_data given by a signed-in connection wins (10.4 #63)",
                 "[channels][presence][signin]") {
  const ConnectionId a = connect();
  signin(a, R"({"id":"42","user_info":{"name":"Ada"}})");
  join_as(a, kRoom, "99", R"({"name":"Other"})");
  CHECK(presence_of(*this, a).at("hash") == json::parse(R"({"99":{"name":"Other"}})"));
}

TEST_CASE_METHOD(HubFixture, "the 101st distinct user gets LimitReached 4100 while present users may add connections (10.4 #64)",
                 "[channels][presence][limits]") {
  std::vector<ConnectionId> ids;
  for (int i = 0; i < 100; ++i) {
    ids.push_back(connect());
    join_as(ids.back(), kRoom, std::to_string(i));
  }
  REQUIRE(hub.channel_info(app(), kRoom).user_count == 100);
  const ConnectionId extra = connect();
  outbox.clear();
  join_as(extra, kRoom, "100");
  REQUIRE(outbox.messages_to(extra).size() == 1);
  const json::object data = subscription_error(extra);
  CHECK(data.at("type") == "LimitReached");
  CHECK(data.at("status") == 4100);
  CHECK(outbox.sends_to(ids[0]) == 0);  // no member_added for the refused user

  const ConnectionId again = connect();
  join_as(again, kRoom, "5");
  CHECK(succeeded(again, kRoom));
  CHECK(hub.channel_info(app(), kRoom).user_count == 100);

  SECTION("a seat frees when a user leaves") {
    hub.close(ids[0]);
    join_as(extra, kRoom, "100");
    CHECK(succeeded(extra, kRoom));
  }
}

TEST_CASE("the member limit comes from the app and an empty channel is not left behind (3.4)",
          "[channels][presence][limits]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.limits.max_presence_members_per_channel = 0; }));
  const ConnectionId a = f.connect();
  f.join_as(a, kRoom, "1");
  CHECK(f.subscription_error(a).at("status") == 4100);
  CHECK(f.hub.occupied_channels(f.app(), "").empty());
  CHECK(f.hub.presence_user_ids(f.app(), kRoom).empty());
}

TEST_CASE_METHOD(HubFixture, "user_info over 1 KB yields LimitReached 4301 (10.4 #65)", "[channels][presence][limits]") {
  const ConnectionId a = connect();
  // {"n":"<x...>"} is 8 bytes plus the string.
  const std::string at_limit = R"({"n":")" + std::string(1024 - 8, 'x') + R"("})";
  const std::string over = R"({"n":")" + std::string(1024 - 7, 'x') + R"("})";
  REQUIRE(at_limit.size() == 1024);
  REQUIRE(over.size() == 1025);
  join_as(a, kRoom, "1", over);
  const json::object data = subscription_error(a);
  CHECK(data.at("type") == "LimitReached");
  CHECK(data.at("status") == 4301);
  join_as(a, kRoom, "1", at_limit);
  CHECK(succeeded(a, kRoom));
}

TEST_CASE_METHOD(HubFixture, "user_info size is measured on its compact JSON (3.4)", "[channels][presence][limits]") {
  const ConnectionId a = connect();
  // 1024 bytes as compact JSON, more as written in channel_data.
  const std::string spaced = R"({ "n" :   ")" + std::string(1024 - 8, 'x') + R"(" })";
  REQUIRE(spaced.size() > 1024);
  join_as(a, kRoom, "1", spaced);
  CHECK(succeeded(a, kRoom));
}

TEST_CASE_METHOD(HubFixture, "a user_id longer than 128 characters is rejected (10.4 #66)",
                 "[channels][presence][limits]") {
  const ConnectionId a = connect();
  join_as(a, kRoom, std::string(129, 'u'));
  const json::object data = subscription_error(a);
  CHECK(data.at("type") == "LimitReached");
  CHECK(data.at("status") == 4301);
  join_as(a, kRoom, std::string(128, 'u'));
  CHECK(succeeded(a, kRoom));
}

TEST_CASE_METHOD(HubFixture, "ids stay in join order as members come and go (2.4)", "[channels][presence]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  const ConnectionId c = connect();
  join_as(a, kRoom, "a");
  join_as(b, kRoom, "b");
  join_as(c, kRoom, "c");
  hub.close(b);
  const ConnectionId d = connect();
  join_as(d, kRoom, "b");
  CHECK(hub.presence_user_ids(app(), kRoom) == std::vector<std::string>{"a", "c", "b"});
  CHECK(presence_of(*this, d).at("ids") == json::parse(R"(["a","c","b"])"));
}

TEST_CASE_METHOD(HubFixture, "re-subscribing to a presence channel re-sends the presence data only (10.3 #36)",
                 "[channels][presence]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  join_as(a, kRoom, "1");
  join_as(b, kRoom, "2");
  outbox.clear();
  join_as(b, kRoom, "2");
  CHECK(outbox.sends_to(a) == 0);
  CHECK(presence_of(*this, b).at("count") == 2);
  CHECK(hub.channel_info(app(), kRoom).subscription_count == 2);
}
