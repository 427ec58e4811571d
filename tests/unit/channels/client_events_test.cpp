// Client events: relay, user_id, rejections and the rate limit (protocol
// reference 2.9; checklist 10.5 #68-#81, #83).
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

const std::string kChat = "private-chat";
const std::string kRoom = "presence-room-1";

/// Two connections on private-chat and two users (one with two connections)
/// on presence-room-1.
struct ClientEventFixture : HubFixture {
  explicit ClientEventFixture(std::vector<App> apps = default_apps()) : HubFixture(std::move(apps)) {
    sender = connect();
    peer = connect();
    same_user = connect();
    bystander = connect();
    subscribe_private(sender, kChat);
    subscribe_private(peer, kChat);
    join_as(sender, kRoom, "42", R"({"name":"Ada"})");
    join_as(same_user, kRoom, "42", R"({"name":"Ada"})");
    join_as(peer, kRoom, "7");
    outbox.clear();
  }
  ConnectionId sender{}, peer{}, same_user{}, bystander{};
};

/// The pusher:error replies to `id` carry no channel member (2.9).
void check_connection_scoped_errors(const HubFixture& f, ConnectionId id) {
  for (const auto& m : f.outbox.messages_to(id, "pusher:error")) CHECK_FALSE(m.contains("channel"));
}

}  // namespace

TEST_CASE_METHOD(ClientEventFixture, "a client event reaches the other subscribers and not the sender (10.5 #68)",
                 "[channels][client_events]") {
  client_event(sender, kChat, "client-typing", json::parse(R"({"typing":true})"));
  const std::string expected = R"({"event":"client-typing","data":"{\"typing\":true}","channel":"private-chat"})";
  CHECK(outbox.payloads_to(peer) == std::vector<std::string>{expected});
  CHECK(outbox.sends_to(sender) == 0);
  CHECK(outbox.sends_to(same_user) == 0);  // not subscribed to private-chat
  CHECK(outbox.sends_to(bystander) == 0);
}

TEST_CASE_METHOD(ClientEventFixture, "another connection of the same user does receive it (10.5 #69)",
                 "[channels][client_events]") {
  client_event(sender, kRoom, "client-typing", json::parse(R"({"typing":true})"));
  CHECK(outbox.count(same_user, "client-typing") == 1);
  CHECK(outbox.count(peer, "client-typing") == 1);
  CHECK(outbox.sends_to(sender) == 0);
}

TEST_CASE_METHOD(ClientEventFixture, "on a presence channel the relay carries the sender's user_id (10.5 #70)",
                 "[channels][client_events]") {
  client_event(sender, kRoom, "client-typing", json::parse(R"({"typing":true})"));
  CHECK(outbox.payloads_to(peer) ==
        std::vector<std::string>{
            R"({"event":"client-typing","data":"{\"typing\":true}","channel":"presence-room-1","user_id":"42"})"});
  outbox.clear();
  client_event(peer, kRoom, "client-typing", "x");
  CHECK(outbox.last(sender).at("user_id") == "7");
}

TEST_CASE_METHOD(ClientEventFixture, "on a private channel the relay has no user_id (10.5 #71)",
                 "[channels][client_events]") {
  signin(sender, R"({"id":"42"})");  // even when signed in
  outbox.clear();
  client_event(sender, kChat, "client-typing");
  REQUIRE(outbox.sends_to(peer) == 1);
  CHECK_FALSE(outbox.last(peer).contains("user_id"));
}

TEST_CASE_METHOD(ClientEventFixture, "a client-supplied user_id is never forwarded (10.5 #72)",
                 "[channels][client_events]") {
  receive(sender, R"({"event":"client-x","data":{},"channel":"private-chat","user_id":"evil"})");
  receive(sender, R"({"event":"client-x","data":{},"channel":"presence-room-1","user_id":"evil"})");
  const auto msgs = outbox.messages_to(peer);
  REQUIRE(msgs.size() == 2);
  CHECK_FALSE(msgs[0].contains("user_id"));
  CHECK(msgs[1].at("user_id") == "42");
  CHECK(outbox.payloads_to(peer)[1].find("evil") == std::string::npos);
}

TEST_CASE_METHOD(ClientEventFixture, "object data is relayed as a string of the same JSON (10.5 #73)",
                 "[channels][client_events]") {
  receive(sender, R"({"event":"client-move","data":{ "x" : 1, "y" : [2, 3] },"channel":"private-chat"})");
  const json::object msg = outbox.last(peer);
  REQUIRE(msg.at("data").is_string());
  CHECK(msg.at("data") == R"({"x":1,"y":[2,3]})");
  CHECK(decoded_data(msg) == json::parse(R"({"x":1,"y":[2,3]})"));
}

TEST_CASE_METHOD(ClientEventFixture, "string data is relayed unchanged (10.5 #74)", "[channels][client_events]") {
  receive(sender, R"({"event":"client-move","data":"{ \"x\" : 1 }","channel":"private-chat"})");
  CHECK(outbox.last_payload(peer) ==
        R"({"event":"client-move","data":"{ \"x\" : 1 }","channel":"private-chat"})");
}

TEST_CASE_METHOD(ClientEventFixture, "client events on private-encrypted channels are refused with 4009 (issue 6)",
                 "[channels][client_events]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  subscribe_private(sender, "private-encrypted-x");
  subscribe_private(peer, "private-encrypted-x");
  outbox.clear();
  const std::string data = R"({"nonce":"abc","ciphertext":"def"})";
  client_event(sender, "private-encrypted-x", "client-e", json::string(data));
  CHECK(error_code(sender) == 4009);
  CHECK(str(outbox.last(sender).at("data").at("message")) ==
        "Client event rejected: client events are not supported on encrypted channels");
  CHECK(outbox.sends_to(peer) == 0);
  CHECK_FALSE(outbox.closed(sender));
  for (const auto& e : observer.events) CHECK_FALSE(e.starts_with("client_event"));
}

TEST_CASE("with client events disabled the sender gets 4301 and nobody receives it (10.5 #75)",
          "[channels][client_events]") {
  ClientEventFixture f(HubFixture::apps_with([](App& a) { a.enable_client_messages = false; }));
  f.client_event(f.sender, kChat, "client-typing");
  CHECK(f.error_code(f.sender) == 4301);
  CHECK(f.outbox.sends_to(f.peer) == 0);
  CHECK_FALSE(f.outbox.closed(f.sender));
  check_connection_scoped_errors(f, f.sender);
}

TEST_CASE_METHOD(ClientEventFixture, "a client event on a public channel is rejected with 4009 (10.5 #76)",
                 "[channels][client_events]") {
  for (const char* ch : {"orders", "cache-ticker"}) {
    INFO(ch);
    subscribe(sender, ch);
    subscribe(peer, ch);
    outbox.clear();
    client_event(sender, ch, "client-typing");
    CHECK(error_code(sender) == 4009);
    CHECK(outbox.sends_to(peer) == 0);
  }
  SECTION("and on the user's own #server-to-user- channel") {
    signin(sender, R"({"id":"42"})");
    subscribe(sender, "#server-to-user-42");
    outbox.clear();
    client_event(sender, "#server-to-user-42", "client-typing");
    CHECK(error_code(sender) == 4009);
    CHECK(outbox.sends_to(same_user) == 0);
  }
  CHECK_FALSE(outbox.closed(sender));
  check_connection_scoped_errors(*this, sender);
}

TEST_CASE_METHOD(ClientEventFixture, "a client event on a channel the sender has not subscribed to gets 4009 (10.5 #77)",
                 "[channels][client_events]") {
  client_event(bystander, kChat, "client-typing");
  CHECK(error_code(bystander) == 4009);
  CHECK(outbox.sends_to(peer) == 0);
  CHECK(outbox.sends_to(sender) == 0);
  SECTION("also after unsubscribing") {
    unsubscribe(sender, kChat);
    outbox.clear();
    client_event(sender, kChat, "client-typing");
    CHECK(error_code(sender) == 4009);
    CHECK(outbox.sends_to(peer) == 0);
  }
  SECTION("also with no channel at all") {
    receive(sender, R"({"event":"client-typing","data":{}})");
    CHECK(error_code(sender) == 4009);
  }
  CHECK_FALSE(outbox.closed(bystander));
  check_connection_scoped_errors(*this, bystander);
}

TEST_CASE_METHOD(ClientEventFixture, "an event not starting with client- is not relayed (10.5 #78)",
                 "[channels][client_events]") {
  client_event(sender, kChat, "typing");
  client_event(sender, kChat, "Client-typing");
  client_event(sender, kChat, "pusher:typing");
  CHECK(outbox.log.empty());
}

TEST_CASE_METHOD(ClientEventFixture, "a 201-character event name is rejected with 4301 and 200 is fine (10.5 #79)",
                 "[channels][client_events]") {
  const std::string ok = "client-" + std::string(193, 'n');
  const std::string too_long = ok + "n";
  REQUIRE(ok.size() == 200);
  client_event(sender, kChat, too_long);
  CHECK(error_code(sender) == 4301);
  CHECK(outbox.sends_to(peer) == 0);
  client_event(sender, kChat, ok);
  CHECK(outbox.count(peer, ok) == 1);
  CHECK_FALSE(outbox.closed(sender));
}

TEST_CASE_METHOD(ClientEventFixture, "data over 10 KB is rejected with 4301 and exactly 10 KB is fine (10.5 #80, 6)",
                 "[channels][client_events]") {
  SECTION("string data is measured as received") {
    client_event(sender, kChat, "client-big", json::string(std::string(10 * 1024 + 1, 'd')));
    CHECK(error_code(sender) == 4301);
    CHECK(outbox.sends_to(peer) == 0);
    client_event(sender, kChat, "client-big", json::string(std::string(10 * 1024, 'd')));
    CHECK(outbox.count(peer, "client-big") == 1);
  }
  SECTION("object data is measured on its compact JSON") {
    // {"d":"..."} is 8 bytes plus the string.
    client_event(sender, kChat, "client-big", json::object{{"d", std::string(10 * 1024 - 7, 'd')}});
    CHECK(error_code(sender) == 4301);
    CHECK(outbox.sends_to(peer) == 0);
    client_event(sender, kChat, "client-big", json::object{{"d", std::string(10 * 1024 - 8, 'd')}});
    CHECK(outbox.count(peer, "client-big") == 1);
  }
  CHECK_FALSE(outbox.closed(sender));
}

TEST_CASE_METHOD(ClientEventFixture, "the 11th client event within a second is rejected with 4301 (10.5 #81)",
                 "[channels][client_events][rate]") {
  for (int i = 0; i < 10; ++i) {
    client_event(sender, kChat, "client-n", i);
    clock.advance_ms(50);
  }
  CHECK(outbox.count(peer, "client-n") == 10);
  CHECK(outbox.count(sender, "pusher:error") == 0);

  client_event(sender, kChat, "client-n", 10);
  CHECK(error_code(sender) == 4301);
  CHECK(outbox.count(peer, "client-n") == 10);
  CHECK(outbox.last(sender).at("data").at("message").is_string());
  CHECK_FALSE(outbox.closed(sender));

  SECTION("the limit is per connection") {
    client_event(peer, kChat, "client-n", 0);
    CHECK(outbox.count(sender, "client-n") == 1);
  }
  SECTION("a new window starts one second after the first event of the last one") {
    clock.advance_ms(1000 - 500 - 1);  // 999 ms since the first event
    client_event(sender, kChat, "client-n", 11);
    CHECK(outbox.count(sender, "pusher:error") == 2);
    clock.advance_ms(1);
    client_event(sender, kChat, "client-n", 12);
    CHECK(outbox.count(peer, "client-n") == 11);
    CHECK(outbox.count(sender, "pusher:error") == 2);
  }
}

TEST_CASE("max_client_events_per_sec -1 means unlimited (6)", "[channels][client_events][rate]") {
  ClientEventFixture f(HubFixture::apps_with([](App& a) { a.limits.max_client_events_per_sec = -1; }));
  for (int i = 0; i < 100; ++i) f.client_event(f.sender, kChat, "client-n", i);
  CHECK(f.outbox.count(f.peer, "client-n") == 100);
  CHECK(f.outbox.count(f.sender, "pusher:error") == 0);
}

TEST_CASE_METHOD(ClientEventFixture, "rejected client events do not use up the rate limit",
                 "[channels][client_events][rate]") {
  for (int i = 0; i < 5; ++i) client_event(sender, "orders", "client-n", i);  // 4009s
  for (int i = 0; i < 10; ++i) client_event(sender, kChat, "client-n", i);
  CHECK(outbox.count(peer, "client-n") == 10);
}

TEST_CASE_METHOD(ClientEventFixture, "relayed client events are reported to observers (7.3 client_event)",
                 "[channels][client_events][observer]") {
  RecordingObserver observer;
  hub.add_observer(&observer);
  client_event(sender, kRoom, "client-typing", json::parse(R"({"typing":true})"));
  client_event(sender, "orders", "client-typing");  // rejected: no event
  CHECK(observer.events ==
        std::vector<std::string>{"client_event " + sid(sender) +
                                     R"( presence-room-1 client-typing {"typing":true} 42)",
                                 "client_error 4009 1001"});
  hub.remove_observer(&observer);
}
