// Hub: the handshake (protocol reference 1.3-1.6, checklist 10.1), handling
// of malformed and unknown client frames (1.9), ping/pong (2.2), closing
// connections (2.6, 8.5) and per-app counters.
#include <algorithm>
#include <regex>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

OpenRequest request(std::string_view key, std::optional<std::string_view> protocol = "7",
                    std::string_view origin = {}) {
  OpenRequest r;
  r.app_key = key;
  r.protocol = protocol;
  r.origin = origin;
  return r;
}

}  // namespace

// ---- Handshake ----

TEST_CASE_METHOD(HubFixture, "the first frame is connection_established with socket_id and activity_timeout (10.1 #1, #2, #5)",
                 "[channels][handshake]") {
  const ConnectionId a = connect();
  const auto msgs = outbox.messages_to(a);
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].at("event") == "pusher:connection_established");
  REQUIRE(msgs[0].at("data").is_string());  // 1.5: MUST be a string
  const json::object data = decoded_data(msgs[0]).as_object();
  CHECK(data.size() == 2);
  CHECK(data.at("socket_id") == json::value(json::string(sid(a))));
  CHECK(data.at("activity_timeout") == 30);
  CHECK(outbox.last_payload(a) ==
        R"({"event":"pusher:connection_established","data":"{\"socket_id\":\")" + sid(a) +
            R"(\",\"activity_timeout\":30}"})");
  CHECK_FALSE(outbox.closed(a));
  CHECK(hub.connection_count() == 1);
  CHECK(hub.counters(kAppId).connections == 1);
}

TEST_CASE("activity_timeout is the configured value (10.1 #5)", "[channels][handshake]") {
  HubSettings settings;
  settings.activity_timeout_s = 120;
  HubFixture f(default_apps(), settings);
  const ConnectionId a = f.connect();
  CHECK(decoded_data(f.outbox.last(a)).at("activity_timeout") == 120);
}

TEST_CASE_METHOD(HubFixture, "socket ids are two integers with no leading zero or sign (10.1 #3, 1.6)",
                 "[channels][handshake]") {
  const std::regex format(R"(^[1-9][0-9]{0,8}\.[1-9][0-9]{0,8}$)");
  for (int i = 0; i < 200; ++i) {
    const ConnectionId id = connect();
    INFO(sid(id));
    CHECK(std::regex_match(sid(id), format));
  }
}

TEST_CASE_METHOD(HubFixture, "live connections never share a socket_id (10.1 #4)", "[channels][handshake]") {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(sid(connect()));
  CHECK(ids.size() == 1000);
  CHECK(hub.connection_count() == 1000);
}

TEST_CASE_METHOD(HubFixture, "a connection without the protocol parameter is accepted (10.1 #6)",
                 "[channels][handshake]") {
  auto [id, ok] = open(request(kKey, std::nullopt));
  CHECK(ok);
  CHECK(outbox.last(id).at("event") == "pusher:connection_established");
}

TEST_CASE_METHOD(HubFixture, "protocol versions 4 to 7 are accepted (1.3)", "[channels][handshake]") {
  for (const char* p : {"4", "5", "6", "7"}) {
    INFO("protocol=" << p);
    auto [id, ok] = open(request(kKey, p));
    CHECK(ok);
    CHECK(outbox.last(id).at("event") == "pusher:connection_established");
  }
}

TEST_CASE_METHOD(HubFixture, "protocol 8, 3 and abc get pusher:error 4007 and close 4007 (10.1 #7)",
                 "[channels][handshake]") {
  for (const char* p : {"8", "3", "abc", "", "0", "-7", "+7", "7.0", " 7", "70000", "99999999999"}) {
    INFO("protocol=\"" << p << "\"");
    auto [id, ok] = open(request(kKey, p));
    CHECK_FALSE(ok);
    CHECK(outbox.count(id, "pusher:connection_established") == 0);
    require_closed_with(id, 4007);
  }
  CHECK(hub.connection_count() == 0);
  CHECK(hub.counters(kAppId).connections == 0);
}

TEST_CASE("with require_protocol a connection without protocol gets 4008 (10.1 #8)",
          "[channels][handshake]") {
  HubSettings settings;
  settings.require_protocol = true;
  HubFixture f(default_apps(), settings);
  auto [id, ok] = f.open(request(kKey, std::nullopt));
  CHECK_FALSE(ok);
  f.require_closed_with(id, 4008);
  auto [id7, ok7] = f.open(request(kKey, "7"));
  CHECK(ok7);
  CHECK_FALSE(f.outbox.closed(id7));
}

TEST_CASE_METHOD(HubFixture, "an unknown app key gets 4001 and no connection_established (10.1 #9)",
                 "[channels][handshake]") {
  auto [id, ok] = open(request("no-such-key"));
  CHECK_FALSE(ok);
  REQUIRE(outbox.messages_to(id).size() == 1);
  CHECK(outbox.last(id).at("data").at("message").is_string());
  require_closed_with(id, 4001);
  CHECK(hub.connection_count() == 0);
}

TEST_CASE_METHOD(HubFixture, "a disabled app gets 4003 (10.1 #10)", "[channels][handshake]") {
  auto [id, ok] = open(request("off-key"));
  CHECK_FALSE(ok);
  REQUIRE(outbox.messages_to(id).size() == 1);
  require_closed_with(id, 4003);
}

TEST_CASE("an app requiring TLS refuses plain connections with 4000 (1.4 step 3)",
          "[channels][handshake]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.require_tls = true; }));
  auto [plain, plain_ok] = f.open(request(kKey));
  CHECK_FALSE(plain_ok);
  f.require_closed_with(plain, 4000);
  OpenRequest tls = request(kKey);
  tls.tls = true;
  auto [secure, secure_ok] = f.open(tls);
  CHECK(secure_ok);
}

TEST_CASE("an Origin outside allowed_origins gets 4009 (10.1 #15)", "[channels][handshake]") {
  HubFixture f(HubFixture::apps_with([](App& a) {
    a.allowed_origins = {"https://example.com", "*.example.org"};
  }));
  SECTION("listed origins are accepted") {
    for (const char* o : {"https://example.com", "https://EXAMPLE.com/", "https://app.example.org"}) {
      INFO(o);
      CHECK(f.open(request(kKey, "7", o)).second);
    }
  }
  SECTION("other origins are refused") {
    for (const char* o : {"https://evil.com", "http://example.com", "https://example.com.evil.io",
                          "https://example.org"}) {
      INFO(o);
      auto [id, ok] = f.open(request(kKey, "7", o));
      CHECK_FALSE(ok);
      f.require_closed_with(id, 4009);
    }
  }
}

TEST_CASE("the next connection over max_connections gets 4004 and existing ones are untouched (10.1 #11)",
          "[channels][handshake]") {
  HubFixture f(HubFixture::apps_with([](App& a) { a.limits.max_connections = 2; }));
  const ConnectionId a = f.connect();
  const ConnectionId b = f.connect();
  f.subscribe(a, "orders");
  f.outbox.clear();

  auto [c, ok] = f.open(request(kKey));
  CHECK_FALSE(ok);
  f.require_closed_with(c, 4004);
  CHECK(f.outbox.sends_to(a) == 0);
  CHECK(f.outbox.sends_to(b) == 0);
  CHECK_FALSE(f.outbox.closed(a));
  CHECK_FALSE(f.outbox.closed(b));
  CHECK(f.hub.channel_info(f.app(), "orders").subscription_count == 1);
  CHECK(f.hub.counters(kAppId).connections == 2);

  SECTION("the quota is per app") { CHECK(f.open(request("other-key")).second); }
  SECTION("a closed connection frees its slot") {
    f.hub.close(a);
    CHECK(f.open(request(kKey)).second);
  }
}

TEST_CASE("the server-wide cap answers 4100 (10.1 #12)", "[channels][handshake]") {
  HubSettings settings;
  settings.max_connections = 2;
  HubFixture f(default_apps(), settings);
  f.connect();
  f.connect("other-key");
  auto [id, ok] = f.open(request(kKey));
  CHECK_FALSE(ok);
  f.require_closed_with(id, 4100);
  CHECK(f.hub.connection_count() == 2);
}

TEST_CASE_METHOD(HubFixture, "a refused connection is not registered", "[channels][handshake]") {
  auto [id, ok] = open(request("nope"));
  REQUIRE_FALSE(ok);
  outbox.clear();
  receive(id, R"({"event":"pusher:ping","data":{}})");
  subscribe(id, "orders");
  CHECK(outbox.log.empty());
  CHECK(hub.socket_id_of(id).empty());
  hub.close(id);  // harmless
  CHECK(hub.connection_count() == 0);
}

// ---- Incoming frames (1.9, 2.2) ----

TEST_CASE_METHOD(HubFixture, "a frame that is not JSON gets pusher:error with a null code and stays open (10.1 #20)",
                 "[channels][messages]") {
  const ConnectionId a = connect();
  outbox.clear();
  for (const char* text : {"not json", "", "[1,2]", "\"pusher:ping\""}) {
    INFO(text);
    receive(a, text);
    CHECK(outbox.last_payload(a) ==
          R"({"event":"pusher:error","data":{"code":null,"message":"Invalid message format"}})");
  }
  CHECK(outbox.count(a, "pusher:error") == 4);
  CHECK_FALSE(outbox.closed(a));
  CHECK(hub.connection_count() == 1);
}

TEST_CASE_METHOD(HubFixture, "a JSON frame without event gets a null-code error and stays open (10.1 #21)",
                 "[channels][messages]") {
  const ConnectionId a = connect();
  outbox.clear();
  receive(a, R"({"data":{"channel":"orders"}})");
  CHECK(error_code(a) == 0);
  CHECK(outbox.last(a).at("data").at("code").is_null());
  receive(a, R"({"event":17})");
  CHECK(outbox.count(a, "pusher:error") == 2);
  CHECK_FALSE(outbox.closed(a));
}

TEST_CASE_METHOD(HubFixture, "a subscribe without a channel is a malformed message (2.3 step 1)",
                 "[channels][messages]") {
  const ConnectionId a = connect();
  outbox.clear();
  receive(a, R"({"event":"pusher:subscribe","data":{"auth":""}})");
  CHECK(outbox.messages_to(a).size() == 1);
  CHECK(error_code(a) == 0);
  CHECK_FALSE(outbox.closed(a));
}

TEST_CASE_METHOD(HubFixture, "unknown pusher: events are ignored (10.1 #22)", "[channels][messages]") {
  const ConnectionId a = connect();
  outbox.clear();
  receive(a, R"({"event":"pusher:nonsense","data":{}})");
  receive(a, R"({"event":"something-else","data":{}})");
  CHECK(outbox.log.empty());
  CHECK(hub.connection_count() == 1);
}

TEST_CASE_METHOD(HubFixture, "pusher_internal:subscription_succeeded from a client is ignored (10.1 #23)",
                 "[channels][messages]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  subscribe(b, "orders");
  outbox.clear();
  receive(a, R"({"event":"pusher_internal:subscription_succeeded","data":"{}","channel":"orders"})");
  receive(a, R"({"event":"pusher_internal:member_added","data":"{\"user_id\":\"1\"}","channel":"orders"})");
  CHECK(outbox.log.empty());
  CHECK(hub.channel_info(app(), "orders").subscription_count == 1);
}

TEST_CASE_METHOD(HubFixture, "pusher:ping is answered with exactly pusher:pong (10.2 #25, #26, #27)",
                 "[channels][messages][ping]") {
  const ConnectionId a = connect();
  const std::string pong = R"({"event":"pusher:pong","data":{}})";
  SECTION("object data (#25)") { receive(a, R"({"event":"pusher:ping","data":{}})"); }
  SECTION("no data, Java style (#26)") { receive(a, R"({"event": "pusher:ping"})"); }
  SECTION("string data (#27)") { receive(a, R"({"event":"pusher:ping","data":"{}"})"); }
  SECTION("null data") { receive(a, R"({"event":"pusher:ping","data":null})"); }
  CHECK(outbox.last_payload(a) == pong);
  CHECK(outbox.messages_to(a).size() == 2);  // connection_established + pong
}

TEST_CASE_METHOD(HubFixture, "a client pusher:pong needs no reply (2.2)", "[channels][messages][ping]") {
  const ConnectionId a = connect();
  outbox.clear();
  receive(a, R"({"event":"pusher:pong","data":{}})");
  CHECK(outbox.log.empty());
}

TEST_CASE_METHOD(HubFixture, "inbound messages are counted per app", "[channels][messages]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect("other-key");
  receive(a, R"({"event":"pusher:ping"})");
  receive(a, "garbage");
  receive(b, R"({"event":"pusher:ping"})");
  CHECK(hub.counters(kAppId).websocket_messages_in == 2);
  CHECK(hub.counters("2002").websocket_messages_in == 1);
  CHECK(hub.counters("unknown").websocket_messages_in == 0);
}

// ---- Closing ----

TEST_CASE_METHOD(HubFixture, "close is idempotent and an unknown id is ignored", "[channels][close]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  const ConnectionId a = connect();
  const std::string a_sid = sid(a);
  const ConnectionId b = connect();
  subscribe(a, "orders");
  outbox.clear();

  hub.close(a);
  hub.close(a);
  hub.close(12345);
  CHECK(hub.connection_count() == 1);
  CHECK(hub.counters(kAppId).connections == 1);
  CHECK(hub.socket_id_of(a).empty());
  CHECK_FALSE(hub.socket_id_of(b).empty());
  // The transport is already gone: the hub sends nothing and closes nothing.
  CHECK(outbox.log.empty());
  CHECK(std::count(observer.events.begin(), observer.events.end(), "disconnected " + a_sid) == 1);
  CHECK_FALSE(hub.channel_info(app(), "orders").occupied);

  receive(a, R"({"event":"pusher:ping"})");
  CHECK(outbox.log.empty());
  hub.note_activity(a);
  hub.remove_observer(&observer);
}

TEST_CASE_METHOD(HubFixture, "disconnecting removes the connection from all its channels (10.11 #161)",
                 "[channels][close]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  for (const char* ch : {"orders", "news", "cache-ticker"}) subscribe(a, ch);
  subscribe_private(a, "private-chat");
  join_as(a, "presence-room", "1");
  subscribe(b, "news");
  join_as(b, "presence-room", "2");
  outbox.clear();

  hub.close(a);
  CHECK(hub.occupied_channels(app(), "") == std::vector<std::string>{"news", "presence-room"});
  CHECK(hub.channel_info(app(), "news").subscription_count == 1);
  CHECK(hub.presence_user_ids(app(), "presence-room") == std::vector<std::string>{"2"});
  CHECK(outbox.payloads_to(b) ==
        std::vector<std::string>{
            R"({"event":"pusher_internal:member_removed","data":"{\"user_id\":\"1\"}","channel":"presence-room"})"});
}

TEST_CASE_METHOD(HubFixture, "close_all sends every connection 4200 and closes it (10.11 #157, 8.5)",
                 "[channels][close]") {
  const ConnectionId a = connect();
  const ConnectionId b = connect();
  const ConnectionId c = connect("other-key");
  subscribe(a, "orders");
  join_as(b, "presence-room", "7");
  outbox.clear();

  hub.close_all(Errc::Reconnect);
  for (ConnectionId id : {a, b, c}) require_closed_with(id, 4200);
  CHECK(outbox.last(a).at("data").at("message") == "Server is shutting down, please reconnect");
  CHECK(hub.connection_count() == 0);
  CHECK(hub.counters(kAppId).connections == 0);
  CHECK(hub.occupied_channels(app(), "").empty());
  CHECK(outbox.total_closes() == 3);
}

TEST_CASE_METHOD(HubFixture, "counters track connections and their peak", "[channels][counters]") {
  const ConnectionId a = connect();
  connect();
  connect();
  CHECK(hub.counters(kAppId).connections == 3);
  hub.close(a);
  CHECK(hub.counters(kAppId).connections == 2);
  CHECK(hub.take_peak_connections(kAppId) == 3);
  CHECK(hub.take_peak_connections(kAppId) == 2);
  CHECK(hub.take_peak_connections("nope") == 0);
  hub.count_api_message(app());
  CHECK(hub.counters(kAppId).api_messages == 1);
}
