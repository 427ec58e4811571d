// User authentication, #server-to-user- channels and terminating a user's
// connections (protocol reference 2.13, 2.14, 5.10; checklist 10.6 #84-#93).
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

const std::string kUser42 = R"({"id":"42","user_info":{"name":"Ada"},"watchlist":["7","99"]})";

}  // namespace

TEST_CASE_METHOD(HubFixture, "a valid signin yields signin_success with the identical user_data (10.6 #84)",
                 "[channels][signin]") {
  const ConnectionId a = connect();
  outbox.clear();
  signin(a, kUser42);
  CHECK(outbox.payloads_to(a) ==
        std::vector<std::string>{
            R"({"event":"pusher:signin_success","data":{"user_data":"{\"id\":\"42\",\"user_info\":{\"name\":\"Ada\"},\"watchlist\":[\"7\",\"99\"]}"}})"});

  SECTION("signin data sent as a JSON string works too (2.13)") {
    const ConnectionId b = connect();
    outbox.clear();
    const std::string inner = json::serialize(
        json::object{{"auth", user_auth(b, R"({"id":"7"})")}, {"user_data", R"({"id":"7"})"}});
    receive(b, json::serialize(json::object{{"event", "pusher:signin"}, {"data", inner}}));
    CHECK(outbox.last(b).at("event") == "pusher:signin_success");
  }
}

TEST_CASE_METHOD(HubFixture, "a wrong signin signature yields 4009 and the connection stays open (10.6 #85)",
                 "[channels][signin]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  outbox.clear();
  SECTION("signed for another socket") { signin_with(a, user_auth(b, kUser42), kUser42); }
  SECTION("other user_data") { signin_with(a, user_auth(a, R"({"id":"7"})"), kUser42); }
  SECTION("key mismatch") {
    signin_with(a, HubFixture::sign(sid(a) + "::user::" + kUser42, "other-key"), kUser42);
  }
  SECTION("Pusher's old <key>::user::<sig> form") {
    const std::string hex = crypto::hmac_sha256_hex(kSecret, sid(a) + "::user::" + kUser42);
    signin_with(a, "pws-key::user::" + hex, kUser42);
  }
  SECTION("no auth") { signin_with(a, "", kUser42); }
  REQUIRE(outbox.messages_to(a).size() == 1);
  CHECK(error_code(a) == 4009);
  CHECK_FALSE(outbox.messages_to(a).back().contains("channel"));
  CHECK_FALSE(outbox.closed(a));
  // Not signed in: the user channel stays closed to it.
  subscribe(a, "#server-to-user-42");
  CHECK(subscription_error(a).at("type") == "AuthError");
}

TEST_CASE_METHOD(HubFixture, "user_data whose id is missing, empty, numeric or too long yields 4009 (10.6 #86)",
                 "[channels][signin]") {
  const ConnectionId a = connect();
  outbox.clear();
  for (const char* user_data : {R"({"user_info":{}})", R"({"id":""})", R"({"id":42})", R"({"id":null})",
                                "not json", R"(["42"])", ""}) {
    INFO(user_data);
    signin(a, user_data);
    CHECK(outbox.last(a).at("event") == "pusher:error");
    CHECK(error_code(a) == 4009);
  }
  signin(a, R"({"id":")" + std::string(129, 'i') + R"("})");
  CHECK(error_code(a) == 4009);
  signin(a, R"({"id":")" + std::string(128, 'i') + R"("})");
  CHECK(outbox.last(a).at("event") == "pusher:signin_success");
  CHECK_FALSE(outbox.closed(a));
}

TEST_CASE_METHOD(HubFixture, "signing in again as the same user succeeds but as another user fails (10.6 #87)",
                 "[channels][signin]") {
  const ConnectionId a = connect();
  signin(a, kUser42);
  outbox.clear();
  signin(a, R"({"id":"42","user_info":{"name":"Ada L."}})");
  CHECK(outbox.last(a).at("event") == "pusher:signin_success");
  signin(a, R"({"id":"7"})");
  CHECK(error_code(a) == 4009);
  CHECK_FALSE(outbox.closed(a));
  // Still user 42.
  subscribe(a, "#server-to-user-42");
  CHECK(succeeded(a, "#server-to-user-42"));
  subscribe(a, "#server-to-user-7");
  CHECK(subscription_error(a).at("type") == "AuthError");
}

TEST_CASE_METHOD(HubFixture, "after signin as 42, #server-to-user-42 succeeds with data \"{}\" (10.6 #88)",
                 "[channels][signin][user_channel]") {
  const ConnectionId a = connect();
  signin(a, kUser42);
  outbox.clear();
  subscribe(a, "#server-to-user-42", "");
  CHECK(outbox.payloads_to(a) ==
        std::vector<std::string>{
            R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"#server-to-user-42"})"});
}

TEST_CASE_METHOD(HubFixture, "#server-to-user-42 without signin or as user 7 is AuthError (10.6 #89)",
                 "[channels][signin][user_channel]") {
  const ConnectionId a = connect();
  SECTION("not signed in") {}
  SECTION("signed in as 7") { signin(a, R"({"id":"7"})"); }
  SECTION("a presence member 42 is not signed in") { join_as(a, "presence-room", "42"); }
  outbox.clear();
  subscribe(a, "#server-to-user-42", "");
  REQUIRE(outbox.messages_to(a).size() == 1);
  const json::object data = subscription_error(a);
  CHECK(data.at("type") == "AuthError");
  CHECK(data.at("status") == 401);
  CHECK(outbox.last(a).at("channel") == "#server-to-user-42");
}

TEST_CASE_METHOD(HubFixture, "an event to #server-to-user-42 reaches every connection of 42 exactly once (10.6 #90)",
                 "[channels][signin][user_channel]") {
  const ConnectionId a = connect();  // signed in and subscribed
  const ConnectionId b = connect();  // signed in, not yet subscribed
  const ConnectionId c = connect();  // user 7
  const ConnectionId d = connect();  // presence member 42 only
  signin(a, kUser42);
  signin(b, R"({"id":"42"})");
  signin(c, R"({"id":"7"})");
  subscribe(a, "#server-to-user-42");
  subscribe(a, "#server-to-user-42");
  join_as(d, "presence-room", "42");
  outbox.clear();

  hub.publish(app(), PublishRequest{"invoice-ready", R"({"id":9})", {"#server-to-user-42"}, {}});
  const std::string expected = R"({"event":"invoice-ready","data":"{\"id\":9}","channel":"#server-to-user-42"})";
  CHECK(outbox.payloads_to(a) == std::vector<std::string>{expected});
  CHECK(outbox.payloads_to(b) == std::vector<std::string>{expected});
  CHECK(outbox.sends_to(c) == 0);
  CHECK(outbox.sends_to(d) == 0);

  SECTION("the socket_id exclusion applies") {
    outbox.clear();
    hub.publish(app(), PublishRequest{"e", "{}", {"#server-to-user-42"}, sid(a)});
    CHECK(outbox.sends_to(a) == 0);
    CHECK(outbox.sends_to(b) == 1);
  }
  SECTION("a closed connection no longer receives") {
    hub.close(a);
    outbox.clear();
    hub.publish(app(), PublishRequest{"e", "{}", {"#server-to-user-42"}, {}});
    CHECK(outbox.sends_to(a) == 0);
    CHECK(outbox.sends_to(b) == 1);
  }
  SECTION("a user of another app with the same id is not reached") {
    const ConnectionId other = connect("other-key");
    receive(other, json::serialize(json::object{
                       {"event", "pusher:signin"},
                       {"data", json::object{{"auth", HubFixture::sign(sid(other) + "::user::" + R"({"id":"42"})",
                                                                       "other-key", "other-secret")},
                                             {"user_data", R"({"id":"42"})"}}}}));
    REQUIRE(outbox.last(other).at("event") == "pusher:signin_success");
    outbox.clear();
    hub.publish(app(), PublishRequest{"e", "{}", {"#server-to-user-42"}, {}});
    CHECK(outbox.sends_to(other) == 0);
  }
}

TEST_CASE_METHOD(HubFixture, "#server-to-user- channels are not listed as occupied (10.6 #91)",
                 "[channels][signin][user_channel]") {
  const ConnectionId a = connect();
  signin(a, R"({"id":"42"})");
  subscribe(a, "#server-to-user-42");
  subscribe(a, "orders");
  CHECK(hub.occupied_channels(app(), "") == std::vector<std::string>{"orders"});
  CHECK(hub.occupied_channels(app(), "#").empty());
}

TEST_CASE_METHOD(HubFixture, "terminate_user_connections closes every connection of the user with 4009 (10.6 #92)",
                 "[channels][signin][terminate]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  const ConnectionId c = connect();
  const ConnectionId watcher = connect();
  signin(a, kUser42);
  signin(b, R"({"id":"42"})");
  signin(c, R"({"id":"7"})");
  join_as(a, "presence-room", "42");
  join_as(watcher, "presence-room", "1");
  outbox.clear();

  hub.terminate_user_connections(app(), "42");
  require_closed_with(a, 4009);
  require_closed_with(b, 4009);
  CHECK_FALSE(outbox.closed(c));
  CHECK(hub.connection_count() == 2);
  CHECK(outbox.count(watcher, "pusher_internal:member_removed") == 1);

  // Nothing left to terminate.
  outbox.clear();
  hub.terminate_user_connections(app(), "42");
  hub.terminate_user_connections(app(), "nobody");
  CHECK(outbox.log.empty());
}

TEST_CASE_METHOD(HubFixture, "terminate_user_connections spares presence-only members (10.6 #93)",
                 "[channels][signin][terminate]") {
  const ConnectionId a = connect();
  join_as(a, "presence-room", "42");
  outbox.clear();
  hub.terminate_user_connections(app(), "42");
  CHECK(outbox.log.empty());
  CHECK(hub.connection_count() == 1);
}

TEST_CASE_METHOD(HubFixture, "terminate_user_connections only touches the given app", "[channels][signin][terminate]") {
  const ConnectionId a = connect();
  signin(a, R"({"id":"42"})");
  outbox.clear();
  const App* other = hub.apps().find_by_id("2002");
  REQUIRE(other != nullptr);
  hub.terminate_user_connections(*other, "42");
  CHECK(outbox.log.empty());
}
