// POST /apps/{id}/events and /batch_events through http_api::Api over a real
// hub (protocol reference 5.5, 5.6; checklist 10.9 #121-#137).
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "http_api/api_fixture.hpp"

using namespace pws;
using namespace pws::http_api;
using namespace pws::http_api::test;

namespace {

const std::string kEvents = "/apps/1001/events";
const std::string kBatch = "/apps/1001/batch_events";

std::string event_body(std::string_view name, std::string_view data, std::string_view channel) {
  boost::json::object o{{"name", name}, {"data", data}, {"channel", channel}};
  return boost::json::serialize(o);
}

std::string channels_json(std::size_t count) {
  boost::json::array channels;
  for (std::size_t i = 0; i < count; ++i) channels.emplace_back("ch-" + std::to_string(i));
  return boost::json::serialize(channels);
}

}  // namespace

TEST_CASE("POST /events answers exactly {} as JSON (10.9 #121, #147)", "[http_api][events]") {
  ApiFixture f;
  auto r = f.post(kEvents, R"({"name":"e","data":"{}","channel":"orders"})");
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
  CHECK(r.content_type == "application/json");
  CHECK(f.hub().counters(kAppId).api_messages == 1);
}

TEST_CASE("a triggered event reaches every subscriber as a channel event (10.9 #122)",
          "[http_api][events]") {
  ApiFixture f;
  const auto a = f.connect();
  const auto b = f.connect();
  f.subscribe(a, "orders");
  f.subscribe(b, "orders");
  REQUIRE(f.post(kEvents, R"({"name":"e","data":"{}","channel":"orders"})").status == 200);
  const std::string expected = R"({"event":"e","data":"{}","channel":"orders"})";
  CHECK(f.outbox.channel_events_to(a) == std::vector<std::string>{expected});
  CHECK(f.outbox.channel_events_to(b) == std::vector<std::string>{expected});
}

TEST_CASE("an event to 3 channels gives one message per channel (10.9 #123)",
          "[http_api][events]") {
  ApiFixture f;
  const auto a = f.connect();
  for (const char* ch : {"one", "two", "three"}) f.subscribe(a, ch);
  REQUIRE(f.post(kEvents, R"({"name":"e","data":"x","channels":["one","two","three"]})").status ==
          200);
  const auto events = f.outbox.channel_events_to(a);
  REQUIRE(events.size() == 3);
  CHECK(events[0] == R"({"event":"e","data":"x","channel":"one"})");
  CHECK(events[2] == R"({"event":"e","data":"x","channel":"three"})");
  CHECK(f.hub().counters(kAppId).api_messages == 1);

  SECTION("duplicate channel names are delivered once") {
    REQUIRE(f.post(kEvents, R"({"name":"e","data":"x","channels":["one","one"]})").status == 200);
    CHECK(f.outbox.channel_events_to(a).size() == 4);
  }
  SECTION("channels wins over channel") {
    REQUIRE(f.post(kEvents, R"({"name":"e","data":"x","channels":["two"],"channel":"one"})")
                .status == 200);
    const auto after = f.outbox.channel_events_to(a);
    REQUIRE(after.size() == 4);
    CHECK(after.back() == R"({"event":"e","data":"x","channel":"two"})");
  }
}

TEST_CASE("socket_id excludes that connection only (10.9 #124)", "[http_api][events]") {
  ApiFixture f;
  const auto a = f.connect();
  const auto b = f.connect();
  f.subscribe(a, "orders");
  f.subscribe(b, "orders");
  boost::json::object body{
      {"name", "e"}, {"data", "1"}, {"channel", "orders"}, {"socket_id", f.socket_id(a)}};
  REQUIRE(f.post(kEvents, boost::json::serialize(body)).status == 200);
  CHECK(f.outbox.channel_events_to(a).empty());
  CHECK(f.outbox.channel_events_to(b).size() == 1);

  SECTION("a socket_id that is not digits.digits is a bad request") {
    for (const char* id : {"1", "a.b", "1.", ".1", "1.2.3", " 1.2"}) {
      INFO(id);
      body["socket_id"] = id;
      CHECK(f.post(kEvents, boost::json::serialize(body)).status == 400);
    }
  }
}

TEST_CASE("101 channels are rejected and nothing is published (10.9 #125)",
          "[http_api][events]") {
  ApiFixture f;
  const auto a = f.connect();
  f.subscribe(a, "ch-0");
  auto r = f.post(kEvents, R"({"name":"e","data":"x","channels":)" + channels_json(101) + "}");
  CHECK(r.status == 400);
  CHECK(f.outbox.channel_event_count() == 0);
  CHECK(f.hub().counters(kAppId).api_messages == 0);
  CHECK(f.post(kEvents, R"({"name":"e","data":"x","channels":)" + channels_json(100) + "}")
            .status == 200);
  CHECK(f.outbox.channel_event_count() == 1);
}

TEST_CASE("data over 10 KB is 413, exactly 10 KB is accepted (10.9 #126)", "[http_api][events]") {
  ApiFixture f;
  CHECK(f.post(kEvents, event_body("e", std::string(10241, 'x'), "orders")).status == 413);
  CHECK(f.post(kEvents, event_body("e", std::string(10240, 'x'), "orders")).status == 200);

  SECTION("non-string data is sent as its compact JSON text and measured so") {
    const auto a = f.connect();
    f.subscribe(a, "orders");
    REQUIRE(f.post(kEvents, R"({"name":"e","data":{ "id" : [1, 2] },"channel":"orders"})")
                .status == 200);
    CHECK(f.outbox.channel_events_to(a) ==
          std::vector<std::string>{R"({"event":"e","data":"{\"id\":[1,2]}","channel":"orders"})"});
    // ["<10 237 x>"]: brackets and quotes make 10 241 bytes of JSON text.
    boost::json::object body{{"name", "e"},
                             {"data", boost::json::array{std::string(10237, 'x')}},
                             {"channel", "orders"}};
    CHECK(f.post(kEvents, boost::json::serialize(body)).status == 413);
  }
}

TEST_CASE("an event name over 200 characters is rejected (10.9 #127)", "[http_api][events]") {
  ApiFixture f;
  CHECK(f.post(kEvents, event_body(std::string(201, 'n'), "x", "orders")).status == 400);
  CHECK(f.post(kEvents, event_body(std::string(200, 'n'), "x", "orders")).status == 200);
  // Characters, not bytes: 200 two-byte characters are fine.
  std::string wide;
  for (int i = 0; i < 200; ++i) wide += "\xc3\xa9";
  CHECK(f.post(kEvents, event_body(wide, "x", "orders")).status == 200);
}

TEST_CASE("name, data and a channel are required (10.9 #128)", "[http_api][events]") {
  ApiFixture f;
  CHECK(f.post(kEvents, R"({"data":"x","channel":"orders"})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","channel":"orders"})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","data":"x"})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"","data":"x","channel":"orders"})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","data":"","channel":"orders"})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","data":null,"channel":"orders"})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","data":"x","channels":[]})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","data":"x","channels":"orders"})").status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","data":"x","channels":[1]})").status == 400);
  CHECK(f.post(kEvents, R"({"name":1,"data":"x","channel":"orders"})").status == 400);

  SECTION("the body must be a JSON object") {
    CHECK(f.post(kEvents, "not json").status == 400);
    CHECK(f.post(kEvents, R"(["e"])").status == 400);
    CHECK(f.post(kEvents, R"({"name":"e")").status == 400);
    CHECK(f.api.handle(f.signed_request("POST", kEvents, "")).status == 400);
  }
  CHECK(f.hub().counters(kAppId).api_messages == 0);
}

TEST_CASE("an invalid channel name is rejected (10.9 #129)", "[http_api][events]") {
  ApiFixture f;
  for (const std::string& name : std::vector<std::string>{
           "bad channel", "a/b", "#other", "#server-to-user-", "\xc3\xa9", std::string(165, 'c')}) {
    INFO(name);
    CHECK(f.post(kEvents, event_body("e", "x", name)).status == 400);
  }
  CHECK(f.post(kEvents, event_body("e", "x", std::string(164, 'c'))).status == 200);
  CHECK(f.post(kEvents, event_body("e", "x", "foo-bar_1234@=,.;")).status == 200);
  CHECK(f.post(kEvents, event_body("e", "x", "#server-to-user-42")).status == 200);
}

TEST_CASE("an encrypted channel cannot share an event with another (10.9 #130)",
          "[http_api][events]") {
  ApiFixture f;
  CHECK(f.post(kEvents, R"({"name":"e","data":"x","channels":["orders","private-encrypted-x"]})")
            .status == 400);
  CHECK(f.post(kEvents, R"({"name":"e","data":"x","channels":["private-encrypted-x"]})").status ==
        200);
  CHECK(f.post(kEvents,
               R"({"name":"e","data":"x","channels":["private-encrypted-x","private-encrypted-x"]})")
            .status == 200);
}

TEST_CASE("event names starting with pusher: are reserved (10.9 #131)", "[http_api][events]") {
  ApiFixture f;
  CHECK(f.post(kEvents, event_body("pusher:foo", "x", "orders")).status == 400);
  CHECK(f.post(kEvents, event_body("pusher_internal:foo", "x", "orders")).status == 400);
  CHECK(f.post(kEvents, event_body("pusherfoo", "x", "orders")).status == 200);
}

TEST_CASE("info returns counts per channel, user_count only for presence (10.9 #132)",
          "[http_api][events]") {
  ApiFixture f;
  const auto a = f.connect();
  const auto b = f.connect();
  const auto c = f.connect();
  f.subscribe_presence(a, "presence-room-1", "1");
  f.subscribe_presence(b, "presence-room-1", "2");
  f.subscribe_presence(c, "presence-room-1", "2");
  f.subscribe(a, "orders");
  auto r = f.post(kEvents,
                  R"({"name":"e","data":"x","channels":["presence-room-1","orders","empty"],)"
                  R"("info":"user_count,subscription_count"})");
  CHECK(r.status == 200);
  CHECK(r.body ==
        R"({"channels":{"presence-room-1":{"user_count":2,"subscription_count":3},)"
        R"("orders":{"subscription_count":1},"empty":{"subscription_count":0}}})");

  SECTION("inapplicable attributes leave {}") {
    auto only_users =
        f.post(kEvents, R"({"name":"e","data":"x","channel":"orders","info":"user_count"})");
    CHECK(only_users.body == R"({"channels":{"orders":{}}})");
  }
}

TEST_CASE("an event name with backslashes is delivered unchanged (10.9 #133)",
          "[http_api][events]") {
  ApiFixture f;
  const auto a = f.connect();
  f.subscribe(a, "orders");
  REQUIRE(f.post(kEvents, R"({"name":"App\\Events\\OrderShipped","data":"x","channel":"orders"})")
              .status == 200);
  CHECK(f.outbox.channel_events_to(a) ==
        std::vector<std::string>{
            R"({"event":"App\\Events\\OrderShipped","data":"x","channel":"orders"})"});
}

TEST_CASE("a batch of 2 answers {} and delivers both in order (10.9 #134)",
          "[http_api][batch]") {
  ApiFixture f;
  const auto a = f.connect();
  f.subscribe(a, "orders");
  f.subscribe(a, "news");
  auto r = f.post(kBatch, R"({"batch":[{"channel":"orders","name":"a","data":"1"},)"
                          R"({"channel":"news","name":"b","data":"2"}]})");
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
  CHECK(f.outbox.channel_events_to(a) ==
        std::vector<std::string>{R"({"event":"a","data":"1","channel":"orders"})",
                                 R"({"event":"b","data":"2","channel":"news"})"});
  CHECK(f.hub().counters(kAppId).api_messages == 2);
}

TEST_CASE("a batch of 11 is rejected and publishes nothing (10.9 #135)", "[http_api][batch]") {
  ApiFixture f;
  const auto a = f.connect();
  f.subscribe(a, "orders");
  boost::json::array items;
  for (int i = 0; i < 11; ++i)
    items.push_back(boost::json::object{{"channel", "orders"}, {"name", "e"}, {"data", "x"}});
  CHECK(f.post(kBatch, boost::json::serialize(boost::json::object{{"batch", items}})).status ==
        400);
  CHECK(f.outbox.channel_event_count() == 0);
  items.pop_back();
  CHECK(f.post(kBatch, boost::json::serialize(boost::json::object{{"batch", items}})).status ==
        200);
  CHECK(f.outbox.channel_event_count() == 10);
}

TEST_CASE("one oversized batch item gives 413 and publishes nothing (10.9 #136)",
          "[http_api][batch]") {
  ApiFixture f;
  const auto a = f.connect();
  f.subscribe(a, "orders");
  boost::json::array items{
      boost::json::object{{"channel", "orders"}, {"name", "a"}, {"data", "1"}},
      boost::json::object{{"channel", "orders"}, {"name", "b"}, {"data", std::string(10241, 'x')}}};
  auto r = f.post(kBatch, boost::json::serialize(boost::json::object{{"batch", items}}));
  CHECK(r.status == 413);
  CHECK(r.body.find("Batch item 1") != std::string::npos);
  CHECK(f.outbox.channel_event_count() == 0);
  CHECK(f.hub().counters(kAppId).api_messages == 0);
}

TEST_CASE("batch info answers an array aligned with the items (10.9 #137)", "[http_api][batch]") {
  ApiFixture f;
  const auto a = f.connect();
  f.subscribe_presence(a, "presence-room-1", "42");
  auto r = f.post(kBatch, R"({"batch":[{"channel":"orders","name":"a","data":"1"},)"
                          R"({"channel":"presence-room-1","name":"b","data":"{\"x\":2}",)"
                          R"("info":"user_count"},)"
                          R"({"channel":"orders","name":"c","data":"3","info":"user_count"}]})");
  CHECK(r.status == 200);
  CHECK(r.body == R"({"batch":[{},{"user_count":1},{}]})");
}

TEST_CASE("batch items need one channel and the batch must be 1..10 items", "[http_api][batch]") {
  ApiFixture f;
  CHECK(f.post(kBatch, R"({"batch":[{"channels":["orders"],"name":"a","data":"1"}]})").status ==
        400);
  CHECK(f.post(kBatch, R"({"batch":[{"channel":"orders","channels":["x"],"name":"a","data":"1"}]})")
            .status == 400);
  CHECK(f.post(kBatch, R"({"batch":[{"name":"a","data":"1"}]})").status == 400);
  CHECK(f.post(kBatch, R"({"batch":[]})").status == 400);
  CHECK(f.post(kBatch, R"({"batch":{}})").status == 400);
  CHECK(f.post(kBatch, R"({})").status == 400);
  CHECK(f.post(kBatch, R"({"batch":["x"]})").status == 400);
  CHECK(f.post(kBatch, R"({"batch":[{"channel":"orders","name":"pusher:a","data":"1"}]})")
            .status == 400);
  CHECK(f.hub().counters(kAppId).api_messages == 0);
}

TEST_CASE("an event to #server-to-user- reaches the signed-in user's connections",
          "[http_api][events]") {
  ApiFixture f;
  const auto a = f.connect();
  const auto b = f.connect();
  f.sign_in(a, "42");
  REQUIRE(f.post(kEvents, R"({"name":"invoice-ready","data":"{\"id\":9}","channels":)"
                          R"(["#server-to-user-42"]})")
              .status == 200);
  CHECK(f.outbox.channel_events_to(a) ==
        std::vector<std::string>{
            R"({"event":"invoice-ready","data":"{\"id\":9}","channel":"#server-to-user-42"})"});
  CHECK(f.outbox.channel_events_to(b).empty());
}
