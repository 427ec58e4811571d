// Event shapes (protocol reference 7.3), request bodies and signatures (7.1)
// against the webhook test vectors.
#include "webhooks/webhook_event.hpp"

#include <catch2/catch.hpp>

#include "webhooks/signed_request.hpp"
#include "webhooks/webhook_test_support.hpp"

using namespace pws;
using namespace pws::webhooks;
using namespace pws::webhooks::test;

namespace {

WebhookEvent of(EventType type, std::string channel) {
  WebhookEvent e;
  e.type = type;
  e.channel = std::move(channel);
  return e;
}

}  // namespace

TEST_CASE("every webhook event type has the exact shape of 7.3 (#148, #151, #152)", "[webhooks][event]") {
  CHECK(encode_event(of(EventType::ChannelOccupied, "orders")) == R"({"name":"channel_occupied","channel":"orders"})");
  CHECK(encode_event(of(EventType::ChannelVacated, "orders")) == R"({"name":"channel_vacated","channel":"orders"})");

  auto added = of(EventType::MemberAdded, "presence-room-1");
  added.user_id = "42";
  CHECK(encode_event(added) == R"({"name":"member_added","channel":"presence-room-1","user_id":"42"})");
  auto removed = of(EventType::MemberRemoved, "presence-room-1");
  removed.user_id = "42";
  CHECK(encode_event(removed) == R"({"name":"member_removed","channel":"presence-room-1","user_id":"42"})");

  auto client = of(EventType::ClientEvent, "presence-room-1");
  client.event = "client-typing";
  client.data = R"({"typing":true})";
  client.socket_id = "123456.7890123";
  client.user_id = "42";
  CHECK(encode_event(client) ==
        R"({"name":"client_event","channel":"presence-room-1","event":"client-typing","data":"{\"typing\":true}",)"
        R"("socket_id":"123456.7890123","user_id":"42"})");
  client.channel = "private-chat";
  client.user_id.clear();
  CHECK(encode_event(client) ==
        R"({"name":"client_event","channel":"private-chat","event":"client-typing","data":"{\"typing\":true}",)"
        R"("socket_id":"123456.7890123"})");

  CHECK(encode_event(of(EventType::CacheMiss, "cache-ticker")) == R"({"name":"cache_miss","channel":"cache-ticker"})");
  auto count = of(EventType::SubscriptionCount, "orders");
  count.subscription_count = 2;
  CHECK(encode_event(count) == R"({"name":"subscription_count","channel":"orders","subscription_count":2})");
}

TEST_CASE("webhook event text escapes what it quotes", "[webhooks][event]") {
  auto client = of(EventType::ClientEvent, "private-a");
  client.event = "client-x";
  client.data = "line\n\"quoted\" \\ \x01";
  client.socket_id = "1.2";
  const std::string text = encode_event(client);
  const auto parsed = boost::json::parse(text);
  CHECK(parsed.at("data").as_string() == "line\n\"quoted\" \\ \x01");
  CHECK(text.find('\n') == std::string::npos);
}

TEST_CASE("event types pair for the vacate delay and name themselves as the registry spells them", "[webhooks][event]") {
  CHECK(event_type_name(EventType::SubscriptionCount) == "subscription_count");
  CHECK(paired_type(EventType::ChannelOccupied) == EventType::ChannelVacated);
  CHECK(paired_type(EventType::MemberRemoved) == EventType::MemberAdded);
  CHECK_FALSE(paired_type(EventType::ClientEvent).has_value());
  CHECK(is_vacancy(EventType::ChannelVacated));
  CHECK(is_vacancy(EventType::MemberRemoved));
  CHECK_FALSE(is_vacancy(EventType::ChannelOccupied));
}

TEST_CASE("bodies and signatures reproduce the webhook test vectors byte for byte (#149, #150, #156)", "[webhooks][signature]") {
  const auto vectors = webhook_vectors();
  REQUIRE(vectors.size() >= 2);
  for (const auto& v : vectors) {
    const std::string id = str(v.at("id"));
    INFO(id);
    const std::string body = str(v.at("body"));
    CHECK(webhook_signature(str(v.at("secret")), body) == str(v.at("signature")));
    const SignedRequest request = sign_request(body, str(v.at("key")), str(v.at("secret")), {});
    CHECK(request.body == body);
    REQUIRE(request.headers.size() == 2);
    CHECK(request.headers[0] == std::pair<std::string, std::string>{"X-Pusher-Key", str(v.at("headers").at("X-Pusher-Key"))});
    CHECK(request.headers[1] ==
          std::pair<std::string, std::string>{"X-Pusher-Signature", str(v.at("headers").at("X-Pusher-Signature"))});
    CHECK(str(v.at("headers").at("Content-Type")) == "application/json");
  }

  // The encoder writes exactly those bodies.
  const std::string occupied = encode_event(of(EventType::ChannelOccupied, "orders"));
  const std::string_view one[] = {occupied};
  CHECK(encode_body(1700000000123, one) == str(vectors[0].at("body")));

  auto added = of(EventType::MemberAdded, "presence-room-1");
  added.user_id = "42";
  auto client = of(EventType::ClientEvent, "private-chat");
  client.event = "client-typing";
  client.data = R"({"typing":true})";
  client.socket_id = "123456.7890123";
  const std::string a = encode_event(added), c = encode_event(client);
  const std::string_view two[] = {a, c};
  CHECK(encode_body(1700000000456, two) == str(vectors[1].at("body")));
}

TEST_CASE("extra headers follow the Pusher ones in a signed request", "[webhooks][signature]") {
  const SignedRequest request = sign_request("{}", "k", "s", {{"X-Api-Token", "t"}});
  REQUIRE(request.headers.size() == 3);
  CHECK(request.headers[0].first == "X-Pusher-Key");
  CHECK(request.headers[1].second == webhook_signature("s", "{}"));
  CHECK(request.headers[2] == std::pair<std::string, std::string>{"X-Api-Token", "t"});
}
