// Watchlist events (protocol reference 2.15; checklist 10.6 #94-#99).
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

std::vector<App> watchlist_apps() {
  return HubFixture::apps_with([](App& app) { app.enable_watchlist_events = true; });
}

std::string user(std::string_view id, std::string_view watchlist = "") {
  std::string out = R"({"id":")" + std::string(id) + "\"";
  if (!watchlist.empty()) out += ",\"watchlist\":" + std::string(watchlist);
  return out + "}";
}

/// The decoded `events` array of every watchlist message to `id`.
std::vector<std::string> watchlist_events(const HubFixture& f, ConnectionId id) {
  std::vector<std::string> out;
  for (const auto& m : f.outbox.messages_to(id, "pusher_internal:watchlist_events")) {
    CHECK_FALSE(m.contains("channel"));
    out.push_back(json::serialize(decoded_data(m)));
  }
  return out;
}

}  // namespace

TEST_CASE("signing in with a watchlist reports who is online and offline (10.6 #94)", "[channels][watchlist]") {
  HubFixture f(watchlist_apps());
  const ConnectionId seven = f.connect();
  f.signin(seven, user("7"));
  const ConnectionId watcher = f.connect();
  f.outbox.clear();
  f.signin(watcher, user("42", R"(["7","99"])"));
  const auto sent = f.outbox.messages_to(watcher);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].at("event") == "pusher:signin_success");
  CHECK(f.outbox.payloads_to(watcher)[1] ==
        R"({"event":"pusher_internal:watchlist_events","data":"{\"events\":[{\"name\":\"online\",\"user_ids\":[\"7\"]},{\"name\":\"offline\",\"user_ids\":[\"99\"]}]}"})");

  SECTION("a user coming online later is announced (10.6 #95)") {
    f.outbox.clear();
    const ConnectionId ninety_nine = f.connect();
    f.signin(ninety_nine, user("99"));
    CHECK(watchlist_events(f, watcher) == std::vector<std::string>{R"({"events":[{"name":"online","user_ids":["99"]}]})"});
    CHECK(watchlist_events(f, seven).empty());
  }
  SECTION("a second connection of an online user announces nothing; the last one leaving goes offline (10.6 #96, #97)") {
    f.outbox.clear();
    const ConnectionId seven_again = f.connect();
    f.signin(seven_again, user("7"));
    CHECK(watchlist_events(f, watcher).empty());
    f.hub.close(seven);
    CHECK(watchlist_events(f, watcher).empty());
    f.hub.close(seven_again);
    CHECK(watchlist_events(f, watcher) == std::vector<std::string>{R"({"events":[{"name":"offline","user_ids":["7"]}]})"});
  }
  SECTION("a closed watcher is no longer told") {
    f.hub.close(watcher);
    f.outbox.clear();
    f.hub.close(seven);
    CHECK(f.outbox.log.empty());
  }
  SECTION("a terminated user goes offline too") {
    f.outbox.clear();
    f.hub.terminate_user_connections(f.app(), "7");
    CHECK(watchlist_events(f, watcher) == std::vector<std::string>{R"({"events":[{"name":"offline","user_ids":["7"]}]})"});
  }
}

TEST_CASE("only non-empty entries are sent, and nothing for an empty watchlist", "[channels][watchlist]") {
  HubFixture f(watchlist_apps());
  const ConnectionId a = f.connect();
  f.outbox.clear();
  f.signin(a, user("1", R"(["2"])"));
  CHECK(watchlist_events(f, a) == std::vector<std::string>{R"({"events":[{"name":"offline","user_ids":["2"]}]})"});
  const ConnectionId b = f.connect();
  f.outbox.clear();
  f.signin(b, user("3", "[]"));
  CHECK(f.outbox.messages_to(b).size() == 1);  // signin_success only
  const ConnectionId c = f.connect();
  f.outbox.clear();
  f.signin(c, user("4", R"([1, "", null, "5", "5"])"));  // non-strings and duplicates ignored
  CHECK(watchlist_events(f, c) == std::vector<std::string>{R"({"events":[{"name":"offline","user_ids":["5"]}]})"});
}

TEST_CASE("a watchlist over the limit is cut, with signin_success and 4302 (10.6 #98)", "[channels][watchlist]") {
  HubFixture f(watchlist_apps());
  std::string list = "[";
  for (int i = 1; i <= 101; ++i) list += (i > 1 ? ",\"" : "\"") + std::to_string(i) + "\"";
  list += "]";
  const ConnectionId a = f.connect();
  f.outbox.clear();
  f.signin(a, user("me", list));
  const auto sent = f.outbox.messages_to(a);
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].at("event") == "pusher:signin_success");
  CHECK(sent[1].at("event") == "pusher:error");
  CHECK(f.error_code(a) == 4302);
  CHECK(str(sent[1].at("data").at("message")) ==
        "Watchlist limit exceeded; only the first 100 user ids were accepted");
  CHECK_FALSE(f.outbox.closed(a));
  const auto offline = decoded_data(sent[2]).at("events").as_array()[0].at("user_ids").as_array();
  CHECK(offline.size() == 100);
  CHECK(offline.back() == "100");
  // The 101st id is not followed.
  f.outbox.clear();
  f.signin(f.connect(), user("101"));
  CHECK(watchlist_events(f, a).empty());
  f.signin(f.connect(), user("100"));
  CHECK(watchlist_events(f, a).size() == 1);
}

TEST_CASE("with watchlist events disabled nothing is sent (10.6 #99)", "[channels][watchlist]") {
  HubFixture f;  // enable_watchlist_events defaults to false
  const ConnectionId seven = f.connect();
  f.signin(seven, user("7"));
  const ConnectionId watcher = f.connect();
  f.outbox.clear();
  f.signin(watcher, user("42", R"(["7","99"])"));
  f.signin(f.connect(), user("99"));
  f.hub.close(seven);
  CHECK(watchlist_events(f, watcher).empty());
}
