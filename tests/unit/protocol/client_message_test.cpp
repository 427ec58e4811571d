// parse_client_frame: client->server frames, good and malformed (protocol
// reference 1.8, 1.9, 2.2, 2.3, 2.6, 2.9, 2.13; checklist 10.1-10.5).
#include <string>
#include <variant>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "protocol/client_message.hpp"

using namespace pws;
using namespace pws::protocol;

namespace {

/// Parses `text`, requiring success and an event of type T.
template <class T>
T parse_as(std::string_view text) {
  INFO(text);
  auto r = parse_client_frame(text);
  REQUIRE(r.ok());
  REQUIRE(std::holds_alternative<T>(*r));
  return std::get<T>(*r);
}

void require_invalid(std::string_view text) {
  INFO(text);
  auto r = parse_client_frame(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == Errc::InvalidMessage);
}

}  // namespace

// ---- Malformed frames (1.9) ----

TEST_CASE("a frame that is not JSON is an invalid message (10.1 #20)", "[protocol][client_message]") {
  for (const char* text : {"", "hello", "{", R"({"event":"pusher:ping")", "{event:'pusher:ping'}",
                           R"({"event":"pusher:ping",})", "\xff\xfe"})
    require_invalid(text);
}

TEST_CASE("JSON that is not an object is an invalid message (1.9)", "[protocol][client_message]") {
  for (const char* text : {"[]", R"(["pusher:ping"])", R"("pusher:ping")", "42", "null", "true"})
    require_invalid(text);
}

TEST_CASE("an object without a string event is an invalid message (10.1 #21)",
          "[protocol][client_message]") {
  for (const char* text : {"{}", R"({"data":{}})", R"({"event":null})", R"({"event":42})",
                           R"({"event":{"name":"pusher:ping"}})", R"({"event":["pusher:ping"]})",
                           R"({"Event":"pusher:ping"})"})
    require_invalid(text);
}

TEST_CASE("subscribe or unsubscribe without a string channel is an invalid message (2.3 step 1)",
          "[protocol][client_message]") {
  for (const char* text :
       {R"({"event":"pusher:subscribe"})", R"({"event":"pusher:subscribe","data":{}})",
        R"({"event":"pusher:subscribe","data":null})",
        R"({"event":"pusher:subscribe","data":{"channel":42}})",
        R"({"event":"pusher:subscribe","data":{"channel":null}})",
        R"({"event":"pusher:subscribe","data":"not json"})",
        R"({"event":"pusher:subscribe","data":"[\"orders\"]"})",
        R"({"event":"pusher:subscribe","data":["orders"]})",
        R"({"event":"pusher:unsubscribe"})", R"({"event":"pusher:unsubscribe","data":{}})",
        R"({"event":"pusher:unsubscribe","data":{"channel":7}})"})
    require_invalid(text);
}

// ---- Ping / pong (2.2) ----

TEST_CASE("pusher:ping is recognised with object, absent, null, string and non-JSON data (10.2 #25-#27, 1.8)",
          "[protocol][client_message]") {
  parse_as<Ping>(R"({"event":"pusher:ping","data":{}})");
  parse_as<Ping>(R"({"event":"pusher:ping"})");  // Java client (#26)
  parse_as<Ping>(R"({"event": "pusher:ping"})");
  parse_as<Ping>(R"({"event":"pusher:ping","data":null})");
  parse_as<Ping>(R"({"event":"pusher:ping","data":"{}"})");  // #27
  parse_as<Ping>(R"({"event":"pusher:ping","data":"garbage"})");
  parse_as<Ping>(R"({"data":{},"event":"pusher:ping"})");  // member order is irrelevant
}

TEST_CASE("pusher:pong is recognised with or without data (2.2)", "[protocol][client_message]") {
  parse_as<Pong>(R"({"event":"pusher:pong","data":{}})");
  parse_as<Pong>(R"({"event":"pusher:pong"})");
}

// ---- Subscribe / unsubscribe (2.3, 2.6) ----

TEST_CASE("pusher:subscribe with object data gives channel, auth and channel_data",
          "[protocol][client_message]") {
  SECTION("public, pusher-js byte order") {
    auto s = parse_as<Subscribe>(R"({"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}})");
    CHECK(s.channel == "orders");
    CHECK(s.auth == "");
    CHECK_FALSE(s.channel_data.has_value());
  }
  SECTION("private") {
    auto s = parse_as<Subscribe>(
        R"({"event":"pusher:subscribe","data":{"auth":"pws-key:3a6674f18a78df543dbb0e47f8fa8a9047887599e73b370b6236e3c01aed7b9d","channel":"private-orders.42"}})");
    CHECK(s.channel == "private-orders.42");
    CHECK(s.auth == "pws-key:3a6674f18a78df543dbb0e47f8fa8a9047887599e73b370b6236e3c01aed7b9d");
  }
  SECTION("auth absent is empty") {
    auto s = parse_as<Subscribe>(R"({"event":"pusher:subscribe","data":{"channel":"orders"}})");
    CHECK(s.auth == "");
  }
  SECTION("unknown members are ignored (1.7)") {
    auto s = parse_as<Subscribe>(
        R"({"event":"pusher:subscribe","data":{"channel":"orders","extra":[1,2]},"channel":"other","x":1})");
    CHECK(s.channel == "orders");
  }
}

TEST_CASE("presence channel_data is kept byte for byte as received (2.3, 4.2)",
          "[protocol][client_message]") {
  const std::string channel_data = R"({"user_id":"42","user_info":{"name":"Ada","role":"admin"}})";
  auto s = parse_as<Subscribe>(
      R"({"event":"pusher:subscribe","data":{"auth":"pws-key:8a41a37408651674ad4105496868e6bb682005e111858458a257151c7a2a12e6","channel_data":"{\"user_id\":\"42\",\"user_info\":{\"name\":\"Ada\",\"role\":\"admin\"}}","channel":"presence-room-1"}})");
  REQUIRE(s.channel_data.has_value());
  CHECK(*s.channel_data == channel_data);

  SECTION("whitespace and key order inside channel_data are not normalised") {
    auto odd = parse_as<Subscribe>(
        R"({"event":"pusher:subscribe","data":{"channel":"presence-x","channel_data":"{ \"user_info\" : {}, \"user_id\" : 42 }"}})");
    REQUIRE(odd.channel_data.has_value());
    CHECK(*odd.channel_data == R"({ "user_info" : {}, "user_id" : 42 })");
  }
}

TEST_CASE("pusher:subscribe whose data is a JSON string is processed identically (10.3 #35)",
          "[protocol][client_message]") {
  auto s = parse_as<Subscribe>(
      R"({"event":"pusher:subscribe","data":"{\"auth\":\"k:s\",\"channel\":\"private-x\",\"channel_data\":\"{\\\"user_id\\\":7}\"}"})");
  CHECK(s.channel == "private-x");
  CHECK(s.auth == "k:s");
  REQUIRE(s.channel_data.has_value());
  CHECK(*s.channel_data == R"({"user_id":7})");
}

TEST_CASE("pusher:unsubscribe gives the channel, object or string data (2.6)",
          "[protocol][client_message]") {
  CHECK(parse_as<Unsubscribe>(R"({"event":"pusher:unsubscribe","data":{"channel":"orders"}})").channel ==
        "orders");
  CHECK(parse_as<Unsubscribe>(R"({"event":"pusher:unsubscribe","data":"{\"channel\":\"orders\"}"})")
            .channel == "orders");
}

// ---- Signin (2.13) ----

TEST_CASE("pusher:signin gives auth and the exact user_data string, object or string data (2.13)",
          "[protocol][client_message]") {
  const std::string user_data = R"({"id":"42","user_info":{"name":"Ada"},"watchlist":["7","99"]})";
  SECTION("object data") {
    auto s = parse_as<Signin>(
        R"({"event":"pusher:signin","data":{"auth":"pws-key:ecc966e9db52425362a520b271a0c3307ea02a7ea3b5d580de0867c8ca334ca2","user_data":"{\"id\":\"42\",\"user_info\":{\"name\":\"Ada\"},\"watchlist\":[\"7\",\"99\"]}"}})");
    CHECK(s.auth == "pws-key:ecc966e9db52425362a520b271a0c3307ea02a7ea3b5d580de0867c8ca334ca2");
    CHECK(s.user_data == user_data);
  }
  SECTION("string data") {
    auto s = parse_as<Signin>(
        R"({"event":"pusher:signin","data":"{\"auth\":\"a:b\",\"user_data\":\"{\\\"id\\\":\\\"42\\\"}\"}"})");
    CHECK(s.auth == "a:b");
    CHECK(s.user_data == R"({"id":"42"})");
  }
  SECTION("missing members are empty") {
    auto s = parse_as<Signin>(R"({"event":"pusher:signin"})");
    CHECK(s.auth.empty());
    CHECK(s.user_data.empty());
  }
}

// ---- Client events (2.9) ----

TEST_CASE("object data of a client event is put in relay form as compact JSON (10.5 #73)",
          "[protocol][client_message]") {
  auto t = parse_as<ClientTrigger>(
      R"({"event":"client-typing","data":{ "typing" : true },"channel":"presence-room-1"})");
  CHECK(t.event == "client-typing");
  CHECK(t.channel == "presence-room-1");
  CHECK(t.data == R"({"typing":true})");
  CHECK(boost::json::parse(t.data) == boost::json::parse(R"({"typing":true})"));
}

TEST_CASE("string data of a client event is kept unchanged (10.5 #74)", "[protocol][client_message]") {
  auto t = parse_as<ClientTrigger>(
      R"({"event":"client-typing","data":"{ \"typing\" : true }","channel":"private-chat"})");
  CHECK(t.data == R"({ "typing" : true })");
  auto plain = parse_as<ClientTrigger>(R"({"event":"client-x","data":"not json at all","channel":"private-chat"})");
  CHECK(plain.data == "not json at all");
}

TEST_CASE("non-object non-string client data is relayed as its JSON text (2.9)",
          "[protocol][client_message]") {
  CHECK(parse_as<ClientTrigger>(R"({"event":"client-n","data":42,"channel":"private-c"})").data == "42");
  CHECK(parse_as<ClientTrigger>(R"({"event":"client-a","data":[1, 2],"channel":"private-c"})").data ==
        "[1,2]");
  CHECK(parse_as<ClientTrigger>(R"({"event":"client-b","data":false,"channel":"private-c"})").data ==
        "false");
  CHECK(parse_as<ClientTrigger>(R"({"event":"client-z","data":null,"channel":"private-c"})").data ==
        "null");
}

TEST_CASE("a client event keeps its channel, a missing or non-string channel is empty (2.9)",
          "[protocol][client_message]") {
  CHECK(parse_as<ClientTrigger>(R"({"event":"client-x","data":{}})").channel.empty());
  CHECK(parse_as<ClientTrigger>(R"({"event":"client-x","data":{},"channel":5})").channel.empty());
}

TEST_CASE("a client-supplied user_id is not part of the parsed client event (10.5 #72)",
          "[protocol][client_message]") {
  auto t = parse_as<ClientTrigger>(
      R"({"event":"client-typing","data":{"a":1},"channel":"presence-room-1","user_id":"evil"})");
  CHECK(t.data == R"({"a":1})");
  CHECK(t.channel == "presence-room-1");
}

// ---- Ignored events (1.9) ----

TEST_CASE("pusher_internal events from a client are ignored (10.1 #23)", "[protocol][client_message]") {
  auto i = parse_as<Ignored>(
      R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"orders"})");
  CHECK(i.event == "pusher_internal:subscription_succeeded");
  parse_as<Ignored>(R"({"event":"pusher_internal:member_added","data":"{\"user_id\":\"1\"}"})");
}

TEST_CASE("unknown pusher: events and other names are ignored (10.1 #22, 10.5 #78)",
          "[protocol][client_message]") {
  CHECK(parse_as<Ignored>(R"({"event":"pusher:does_not_exist","data":{}})").event ==
        "pusher:does_not_exist");
  CHECK(parse_as<Ignored>(R"({"event":"typing","data":{},"channel":"private-chat"})").event == "typing");
  CHECK(parse_as<Ignored>(R"({"event":"Client-typing","data":{},"channel":"private-chat"})").event ==
        "Client-typing");
  CHECK(parse_as<Ignored>(R"({"event":"client","data":{}})").event == "client");
  CHECK(parse_as<Ignored>(R"({"event":""})").event == "");
  // Server->client names from a client are not acted on.
  parse_as<Ignored>(R"({"event":"pusher:connection_established","data":"{}"})");
  parse_as<Ignored>(R"({"event":"pusher:error","data":{"code":4001}})");
}
