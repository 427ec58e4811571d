// GET /channels, /channels/{name}, /channels/{name}/users and
// POST /users/{id}/terminate_connections through http_api::Api over a real
// hub (protocol reference 5.7-5.10; checklist 10.9 #138-#147).
#include <catch2/catch.hpp>

#include "http_api/api_fixture.hpp"

using namespace pws;
using namespace pws::http_api;
using namespace pws::http_api::test;

namespace {

const std::string kChannels = "/apps/1001/channels";

}  // namespace

TEST_CASE("GET /channels lists occupied channels only (10.9 #138, #147)", "[http_api][channels]") {
  ApiFixture f;
  auto empty = f.get(kChannels);
  CHECK(empty.status == 200);
  CHECK(empty.body == R"({"channels":{}})");
  CHECK(empty.content_type == "application/json");

  const auto a = f.connect();
  f.subscribe(a, "orders");
  f.subscribe(a, "news");
  f.subscribe(a, "gone");
  f.hub().receive(a, R"({"event":"pusher:unsubscribe","data":{"channel":"gone"}})");
  f.sign_in(a, "42");
  f.subscribe(a, "#server-to-user-42");
  // Published to but never subscribed: not occupied.
  REQUIRE(f.post("/apps/1001/events", R"({"name":"e","data":"x","channel":"quiet"})").status ==
          200);
  CHECK(f.get(kChannels).body == R"({"channels":{"news":{},"orders":{}}})");

  SECTION("filter_by_prefix and subscription_count") {
    auto r = f.get(kChannels, {{"filter_by_prefix", "ord"}, {"info", "subscription_count"}});
    CHECK(r.body == R"({"channels":{"orders":{"subscription_count":1}}})");
  }
}

TEST_CASE("GET /channels with the presence- filter reports user_count (10.9 #139)",
          "[http_api][channels]") {
  ApiFixture f;
  const auto a = f.connect();
  const auto b = f.connect();
  f.subscribe_presence(a, "presence-room-1", "1");
  f.subscribe_presence(b, "presence-room-1", "2");
  f.subscribe_presence(b, "presence-room-2", "2");
  f.subscribe(a, "orders");
  auto r = f.get(kChannels, {{"filter_by_prefix", "presence-"}, {"info", "user_count"}});
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"channels":{"presence-room-1":{"user_count":2},"presence-room-2":{"user_count":1}}})");
}

TEST_CASE("GET /channels?info=user_count needs a presence- filter (10.9 #140)",
          "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels, {{"info", "user_count"}}).status == 400);
  CHECK(f.get(kChannels, {{"info", "user_count"}, {"filter_by_prefix", "private-"}}).status ==
        400);
  CHECK(f.get(kChannels, {{"info", "subscription_count,unknown"}}).status == 200);
}

TEST_CASE("GET /channels/orders reports whether it is occupied (10.9 #141)",
          "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels + "/orders").body == R"({"occupied":false})");
  const auto a = f.connect();
  f.subscribe(a, "orders");
  auto r = f.get(kChannels + "/orders");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"occupied":true})");
  CHECK(r.content_type == "application/json");
}

TEST_CASE("GET /channels/orders?info=subscription_count counts connections (10.9 #142)",
          "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels + "/orders", {{"info", "subscription_count"}}).body ==
        R"({"occupied":false,"subscription_count":0})");
  f.subscribe(f.connect(), "orders");
  f.subscribe(f.connect(), "orders");
  CHECK(f.get(kChannels + "/orders", {{"info", "subscription_count"}}).body ==
        R"({"occupied":true,"subscription_count":2})");
}

TEST_CASE("presence user_count counts distinct users, not connections (10.9 #143)",
          "[http_api][channels]") {
  ApiFixture f;
  f.subscribe_presence(f.connect(), "presence-room-1", "42");
  f.subscribe_presence(f.connect(), "presence-room-1", "42");
  f.subscribe_presence(f.connect(), "presence-room-1", "7");
  auto r = f.get(kChannels + "/presence-room-1", {{"info", "user_count,subscription_count"}});
  CHECK(r.body == R"({"occupied":true,"user_count":2,"subscription_count":3})");
}

TEST_CASE("user_count of a non-presence channel is a bad request (10.9 #144)",
          "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels + "/orders", {{"info", "user_count"}}).status == 400);
}

TEST_CASE("cache is answered for cache channels only", "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels + "/cache-ticker", {{"info", "cache"}}).body ==
        R"({"occupied":false,"cache":null})");
  CHECK(f.get(kChannels + "/presence-cache-room", {{"info", "cache,user_count"}}).body ==
        R"({"occupied":false,"user_count":0,"cache":null})");
  CHECK(f.get(kChannels + "/orders", {{"info", "cache"}}).status == 400);
}

TEST_CASE("info=cache reports the cached event's data and the seconds left (10.7 #105)", "[http_api][channels]") {
  ApiFixture f;
  REQUIRE(f.post("/apps/1001/events", R"({"name":"price","channel":"cache-ticker","data":"{\"price\":10}"})").status ==
          200);
  f.clock.advance_ms(60'000);
  CHECK(f.get(kChannels + "/cache-ticker", {{"info", "cache"}}).body ==
        R"({"occupied":false,"cache":{"data":"{\"price\":10}","ttl":1740}})");
  f.clock.advance_ms(1740'000);
  CHECK(f.get(kChannels + "/cache-ticker", {{"info", "cache"}}).body == R"({"occupied":false,"cache":null})");
}

TEST_CASE("an invalid channel name in the path is a bad request", "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels + "/bad%20name").status == 400);
  CHECK(f.get(kChannels + "/a%2Fb").status == 400);
  CHECK(f.get(kChannels + "/" + std::string(165, 'c')).status == 400);
  CHECK(f.get(kChannels + "/bad%20name/users").status == 400);
}

TEST_CASE("GET /users lists each distinct presence member once (10.9 #145)",
          "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels + "/presence-room-1/users").body == R"({"users":[]})");
  f.subscribe_presence(f.connect(), "presence-room-1", "42");
  f.subscribe_presence(f.connect(), "presence-room-1", "7");
  f.subscribe_presence(f.connect(), "presence-room-1", "42");
  auto r = f.get(kChannels + "/presence-room-1/users");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"users":[{"id":"42"},{"id":"7"}]})");
}

TEST_CASE("GET /users of a non-presence channel is a bad request (10.9 #146)",
          "[http_api][channels]") {
  ApiFixture f;
  CHECK(f.get(kChannels + "/orders/users").status == 400);
  CHECK(f.get(kChannels + "/private-orders/users").status == 400);
}

TEST_CASE("terminate_connections closes the user's signed-in connections with 4009",
          "[http_api][users]") {
  ApiFixture f;
  const auto signed_in = f.connect();
  const auto presence_only = f.connect();
  f.sign_in(signed_in, "42");
  f.subscribe_presence(presence_only, "presence-room-1", "42");
  auto r = f.post("/apps/1001/users/42/terminate_connections", "{}");
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
  REQUIRE(f.outbox.closed.size() == 1);
  CHECK(f.outbox.closed[0].to == signed_in);
  CHECK(f.outbox.closed[0].code == 4009);

  SECTION("an unknown user is fine too") {
    CHECK(f.post("/apps/1001/users/nobody/terminate_connections", "{}").body == "{}");
  }
  SECTION("a user id over the limit is a bad request") {
    CHECK(f.post("/apps/1001/users/" + std::string(129, 'u') + "/terminate_connections", "{}")
              .status == 400);
  }
}
