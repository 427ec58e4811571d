// Server->client encoders: exact bytes, member order event, data, channel,
// user_id (1.7, checklist 10.1 #18), data as string or object per 1.8.
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "protocol/frame.hpp"
#include "protocol/server_message.hpp"

using namespace pws;
using namespace pws::protocol;
namespace json = boost::json;

namespace {

std::string text(const Frame& f) { return std::string(f.payload()); }

/// The member names of a JSON object text, in the order they appear.
std::vector<std::string> member_order(std::string_view payload) {
  std::vector<std::string> out;
  const json::value v = json::parse(payload);
  for (const auto& kv : v.as_object()) out.emplace_back(kv.key());
  return out;
}

}  // namespace

TEST_CASE("connection_established has string data with exactly socket_id and activity_timeout (10.1 #2, 1.5)",
          "[protocol][server_message]") {
  const Frame f = encode_connection_established("123456.7890123", 30);
  CHECK(text(f) ==
        R"({"event":"pusher:connection_established","data":"{\"socket_id\":\"123456.7890123\",\"activity_timeout\":30}"})");
  const json::object msg = json::parse(f.payload()).as_object();
  REQUIRE(msg.at("data").is_string());
  const json::object data = json::parse(msg.at("data").as_string()).as_object();
  CHECK(data.size() == 2);
  CHECK(data.at("socket_id") == "123456.7890123");
  CHECK(data.at("activity_timeout") == 30);
  CHECK(text(encode_connection_established("1.2", 120)) ==
        R"({"event":"pusher:connection_established","data":"{\"socket_id\":\"1.2\",\"activity_timeout\":120}"})");
}

TEST_CASE("pusher:error has object data with an integer code (2.10)", "[protocol][server_message]") {
  CHECK(text(encode_error(4001, "Application does not exist")) ==
        R"({"event":"pusher:error","data":{"code":4001,"message":"Application does not exist"}})");
  CHECK(text(encode_error(Errc::PongTimeout, "Pong reply not received")) ==
        R"({"event":"pusher:error","data":{"code":4201,"message":"Pong reply not received"}})");
  CHECK(text(encode_error(Errc::ClientEventRejected, "Client event rejected due to rate limit")) ==
        R"({"event":"pusher:error","data":{"code":4301,"message":"Client event rejected due to rate limit"}})");
  CHECK(text(encode_error(Errc::ClientEventForbidden, "x")) ==
        R"({"event":"pusher:error","data":{"code":4009,"message":"x"}})");
}

TEST_CASE("pusher:error for a malformed message has a null code (10.1 #20, 1.9)",
          "[protocol][server_message]") {
  const std::string expected =
      R"({"event":"pusher:error","data":{"code":null,"message":"Invalid message format"}})";
  CHECK(text(encode_error(std::nullopt, "Invalid message format")) == expected);
  CHECK(text(encode_error(Errc::InvalidMessage, "Invalid message format")) == expected);
}

TEST_CASE("error messages are escaped", "[protocol][server_message]") {
  const Frame f = encode_error(4009, "bad \"quote\" \\ and\nnewline");
  CHECK(json::parse(f.payload()).at("data").at("message") == "bad \"quote\" \\ and\nnewline");
}

TEST_CASE("pong is exactly {\"event\":\"pusher:pong\",\"data\":{}} (10.2 #25)",
          "[protocol][server_message]") {
  CHECK(text(encode_pong()) == R"({"event":"pusher:pong","data":{}})");
}

TEST_CASE("the server ping is exactly {\"event\":\"pusher:ping\",\"data\":{}} (10.2 #29)",
          "[protocol][server_message]") {
  CHECK(text(encode_ping()) == R"({"event":"pusher:ping","data":{}})");
}

TEST_CASE("channel events are written event, data, channel, user_id (10.1 #18, 2.8)",
          "[protocol][server_message]") {
  CHECK(text(encode_channel_event("order-shipped", R"({"id":42})", "orders")) ==
        R"({"event":"order-shipped","data":"{\"id\":42}","channel":"orders"})");
  const Frame relayed = encode_channel_event("client-typing", R"({"typing":true})", "presence-room-1", "42");
  CHECK(text(relayed) ==
        R"({"event":"client-typing","data":"{\"typing\":true}","channel":"presence-room-1","user_id":"42"})");
  CHECK(member_order(relayed.payload()) ==
        std::vector<std::string>{"event", "data", "channel", "user_id"});
}

TEST_CASE("published data is carried byte for byte inside the data string (1.8, 10.3 #43)",
          "[protocol][server_message]") {
  const std::string data =
      R"({"nonce":"EBESExQVFhcYGRobHB0eHyAhIiMkJSYn","ciphertext":"gCyOhQebrJ9lFo4ST5kQSMUQpH8qTWDD435zRBOUMio2mWWEbxSwTMw+1mZxMkA="})";
  const Frame f = encode_channel_event("salary", data, "private-encrypted-payroll");
  CHECK(json::parse(f.payload()).at("data").as_string() == data);
  const std::string odd = "not json { \"x\" \n \xc3\xa9";
  CHECK(json::parse(encode_channel_event("e", odd, "c").payload()).at("data").as_string() == odd);
}

TEST_CASE("an event named App\\Events\\OrderShipped is delivered as-is (2.8)",
          "[protocol][server_message]") {
  const Frame f = encode_channel_event(R"(App\Events\OrderShipped)", "{}", "orders");
  CHECK(text(f) == R"({"event":"App\\Events\\OrderShipped","data":"{}","channel":"orders"})");
  CHECK(json::parse(f.payload()).at("event") == R"(App\Events\OrderShipped)");
}

TEST_CASE("subscription_succeeded for non-presence channels has data \"{}\" (10.3 #33, 2.4)",
          "[protocol][server_message]") {
  CHECK(text(encode_subscription_succeeded("orders")) ==
        R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"orders"})");
  CHECK(text(encode_subscription_succeeded("#server-to-user-42")) ==
        R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"#server-to-user-42"})");
}

TEST_CASE("subscription_error has object data type, error, status and a channel member (10.3 #47, 2.5)",
          "[protocol][server_message]") {
  const Frame f = encode_subscription_error(
      "private-orders.42", Errc::AuthError,
      "Invalid signature: expected HMAC SHA256 hex digest of 123456.7890123:private-orders.42");
  CHECK(text(f) ==
        R"({"event":"pusher:subscription_error","data":{"type":"AuthError","error":"Invalid signature: expected HMAC SHA256 hex digest of 123456.7890123:private-orders.42","status":401},"channel":"private-orders.42"})");
  CHECK(member_order(f.payload()) == std::vector<std::string>{"event", "data", "channel"});

  struct Row {
    Errc e;
    const char* type;
    int status;
  };
  for (const Row& r : {Row{Errc::InvalidChannelName, "InvalidChannelName", 4009},
                       Row{Errc::ChannelNameTooLong, "LimitReached", 4009},
                       Row{Errc::PresenceFull, "LimitReached", 4100},
                       Row{Errc::MemberTooLarge, "LimitReached", 4301}}) {
    const json::value v = json::parse(encode_subscription_error("c", r.e, "m").payload());
    CHECK(v.at("data").at("type") == r.type);
    CHECK(v.at("data").at("status") == r.status);
    CHECK(v.at("data").at("error") == "m");
    CHECK(v.at("channel") == "c");
  }
}

TEST_CASE("presence data is {\"presence\":{\"ids\",\"hash\",\"count\"}} with string ids (10.4 #51-#53, 2.4)",
          "[protocol][server_message]") {
  SECTION("the 2.4 example, byte for byte") {
    const std::string data = presence_data_json(
        {{"42", R"({"name":"Ada","role":"admin"})"}, {"7", R"({"name":"Bob"})"}});
    CHECK(data ==
          R"({"presence":{"ids":["42","7"],"hash":{"42":{"name":"Ada","role":"admin"},"7":{"name":"Bob"}},"count":2}})");
    CHECK(text(encode_subscription_succeeded("presence-room-1", data)) ==
          R"({"event":"pusher_internal:subscription_succeeded","data":"{\"presence\":{\"ids\":[\"42\",\"7\"],\"hash\":{\"42\":{\"name\":\"Ada\",\"role\":\"admin\"},\"7\":{\"name\":\"Bob\"}},\"count\":2}}","channel":"presence-room-1"})");
  }
  SECTION("a member without info has {} in hash (#58)") {
    CHECK(presence_data_json({{"42", "{}"}}) ==
          R"({"presence":{"ids":["42"],"hash":{"42":{}},"count":1}})");
  }
  SECTION("no members") {
    CHECK(presence_data_json({}) == R"({"presence":{"ids":[],"hash":{},"count":0}})");
  }
  SECTION("ids needing escapes stay valid JSON") {
    const std::string data = presence_data_json({{"a\"b", "{}"}});
    const json::value v = json::parse(data);
    CHECK(v.at("presence").at("ids").at(0) == "a\"b");
    CHECK(v.at("presence").at("hash").as_object().contains("a\"b"));
  }
}

TEST_CASE("member_added and member_removed have string data (10.4 #54, #57, 2.7)",
          "[protocol][server_message]") {
  CHECK(text(encode_member_added("presence-room-1", "42", R"({"name":"Ada","role":"admin"})")) ==
        R"({"event":"pusher_internal:member_added","data":"{\"user_id\":\"42\",\"user_info\":{\"name\":\"Ada\",\"role\":\"admin\"}}","channel":"presence-room-1"})");
  CHECK(text(encode_member_added("presence-room-1", "7", "{}")) ==
        R"({"event":"pusher_internal:member_added","data":"{\"user_id\":\"7\",\"user_info\":{}}","channel":"presence-room-1"})");
  CHECK(text(encode_member_removed("presence-room-1", "42")) ==
        R"({"event":"pusher_internal:member_removed","data":"{\"user_id\":\"42\"}","channel":"presence-room-1"})");
}

TEST_CASE("signin_success has object data holding the identical user_data string (10.6 #84, 2.13)",
          "[protocol][server_message]") {
  const std::string user_data = R"({"id":"42","user_info":{"name":"Ada"},"watchlist":["7","99"]})";
  const Frame f = encode_signin_success(user_data);
  CHECK(text(f) ==
        R"({"event":"pusher:signin_success","data":{"user_data":"{\"id\":\"42\",\"user_info\":{\"name\":\"Ada\"},\"watchlist\":[\"7\",\"99\"]}"}})");
  CHECK(json::parse(f.payload()).at("data").at("user_data").as_string() == user_data);
}

TEST_CASE("every encoder writes compact JSON that parses", "[protocol][server_message]") {
  const Frame frames[] = {
      encode_connection_established("1.2", 30), encode_error(4001, "x"),
      encode_error(std::nullopt, "y"),          encode_pong(),
      encode_ping(),                            encode_channel_event("e", "d", "c", "u"),
      encode_subscription_succeeded("c"),       encode_subscription_error("c", Errc::AuthError, "m"),
      encode_member_added("p", "1", "{}"),      encode_member_removed("p", "1"),
      encode_signin_success("{}"),
  };
  for (const Frame& f : frames) {
    INFO(f.payload());
    CHECK_NOTHROW(json::parse(f.payload()));
    CHECK(member_order(f.payload()).front() == "event");
    CHECK(json::serialize(json::parse(f.payload())).size() <= f.size());
    CHECK(f.payload().find(": ") == std::string_view::npos);
  }
}

// ---- Frame ----

TEST_CASE("a Frame keeps headroom in front of its payload", "[protocol][frame]") {
  const Frame f = Frame::from_payload("hello");
  CHECK(f.payload() == "hello");
  CHECK(f.size() == 5);
  CHECK_FALSE(f.empty());
  CHECK(reinterpret_cast<const char*>(f.writable_payload()) == f.payload().data());

  FrameBuilder b(4);
  b.out().append("abc");
  const Frame built = b.take();
  CHECK(built.payload() == "abc");
  CHECK(built.size() == 3);
  CHECK(kFrameHeadroom >= 16);
}

TEST_CASE("copies of a Frame share one buffer", "[protocol][frame]") {
  const Frame a = encode_channel_event("e", "d", "c");
  const Frame b = a;  // NOLINT(performance-unnecessary-copy-initialization)
  CHECK(a.payload().data() == b.payload().data());
}

TEST_CASE("a default Frame is empty", "[protocol][frame]") {
  const Frame f;
  CHECK(f.empty());
  CHECK(f.size() == 0);
  CHECK(f.payload().empty());
}
