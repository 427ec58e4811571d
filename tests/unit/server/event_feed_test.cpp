// EventFeed: encoding of feed messages, fan-out per app, watcher bookkeeping
// and the admission of feed upgrades (notes/feed-spec.md).
#include "server/event_feed.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "http_api/signing.hpp"

using namespace pws;
using namespace pws::server;

namespace {

struct FakeSink final : FeedSink {
  std::vector<protocol::Frame> frames;
  int close_code = 0;
  void feed_send(const protocol::Frame& frame) override { frames.push_back(frame); }
  void feed_close(int code, std::string_view) override { close_code = code; }
  std::string last() const { return frames.empty() ? std::string() : std::string(frames.back().payload()); }
};

channels::App make_app(std::string id, std::string key, std::string secret, bool enabled = true) {
  channels::App app;
  app.id = std::move(id);
  app.key = std::move(key);
  app.secret = std::move(secret);
  app.enabled = enabled;
  return app;
}

}  // namespace

TEST_CASE("feed messages carry the applicable fields in order") {
  FeedEvent e;
  e.type = "client_event";
  e.app_id = "1001";
  e.socket_id = "1.2";
  e.channel = "private-a";
  e.event = "client-x";
  e.data = "{\"a\":\"\\\"q\\\"\"}";
  e.has_data = true;
  CHECK(encode_feed_event(42, e).payload() ==
        R"({"time_ms":42,"type":"client_event","app_id":"1001","socket_id":"1.2","channel":"private-a",)"
        R"("event":"client-x","data":"{\"a\":\"\\\"q\\\"\"}"})");

  FeedEvent err;
  err.type = "error";
  err.app_id = "1";
  err.has_code = true;
  err.code = 4009;
  err.message = "no";
  CHECK(encode_feed_event(1, err).payload() == R"({"time_ms":1,"type":"error","app_id":"1","code":4009,"message":"no"})");
}

TEST_CASE("feed data is cut at 1024 bytes on a UTF-8 boundary and marked truncated") {
  FeedEvent e;
  e.type = "api_message";
  e.app_id = "1";
  e.has_data = true;
  const std::string exact(kDefaultFeedDataLimit, 'x');
  e.data = exact;
  CHECK(encode_feed_event(0, e).payload().find("truncated") == std::string_view::npos);

  std::string longer(kDefaultFeedDataLimit - 1, 'x');
  longer += "\xC3\xA9";  // é straddles the limit
  longer += "tail";
  e.data = longer;
  const std::string out(encode_feed_event(0, e).payload());
  CHECK(out.find("\"truncated\":true") != std::string::npos);
  CHECK(out.find("\"data\":\"" + std::string(kDefaultFeedDataLimit - 1, 'x') + "\"") != std::string::npos);
  CHECK(utf8_cut("ab\xC3\xA9", 3) == "ab");
  CHECK(utf8_cut("abc", 3) == "abc");
}

TEST_CASE("the feed's data limit is configurable ([dashboard] max_event_data_size_in_bytes)") {
  std::int64_t now = 5;
  EventFeed feed([&] { return now; }, 16);
  FakeSink sink;
  feed.add(&sink, "1");
  feed.on_api_message(make_app("1", "k", "s"), "orders", "created", std::string(40, 'y'));
  REQUIRE(sink.frames.size() == 2);
  CHECK(sink.last().find("\"data\":\"" + std::string(16, 'y') + "\",\"truncated\":true") != std::string::npos);
}

TEST_CASE("watchers see only their own app, one shared frame per event") {
  std::int64_t now = 1000;
  EventFeed feed([&] { return now; });
  FakeSink a1, a2, b;
  feed.add(&a1, "A");
  feed.add(&a2, "A");
  feed.add(&b, "B");
  REQUIRE(a1.frames.size() == 1);
  CHECK(a1.last() == R"({"time_ms":1000,"type":"feed_started","app_id":"A"})");
  CHECK(feed.watcher_count() == 3);
  CHECK(feed.watcher_count("A") == 2);

  const auto app_a = make_app("A", "ka", "sa");
  const auto app_c = make_app("C", "kc", "sc");
  feed.on_subscribed(app_a, "1.1", "orders");
  feed.on_channel_occupied(app_c, "x");
  REQUIRE(a1.frames.size() == 2);
  REQUIRE(a2.frames.size() == 2);
  CHECK(b.frames.size() == 1);
  CHECK(a1.frames.back().payload().data() == a2.frames.back().payload().data());  // the same buffer
  CHECK(a1.last() == R"({"time_ms":1000,"type":"subscribed","app_id":"A","socket_id":"1.1","channel":"orders"})");

  feed.on_client_error(nullptr, "", 4001, "nope");  // no app: nobody sees it
  CHECK(a1.frames.size() == 2);

  feed.remove(&a1, "A");
  feed.remove(&a1, "A");  // twice: no-op
  feed.remove(&b, "nowhere");
  feed.on_member_added(app_a, "presence-r", "u1");
  CHECK(a1.frames.size() == 2);
  CHECK(a2.frames.size() == 3);
  CHECK(feed.watcher_count() == 2);

  feed.close_all(4200, "bye");
  CHECK(a2.close_code == 4200);
  CHECK(b.close_code == 4200);
  CHECK(a1.close_code == 0);
}

TEST_CASE("many watchers come and go without leaving any behind") {
  EventFeed feed([] { return 0; });
  std::vector<FakeSink> sinks(200);
  for (auto& s : sinks) feed.add(&s, "A");
  for (std::size_t i = 0; i < sinks.size(); i += 2) feed.remove(&sinks[i], "A");
  CHECK(feed.watcher_count("A") == 100);
  for (std::size_t i = 1; i < sinks.size(); i += 2) feed.remove(&sinks[i], "A");
  CHECK(feed.watcher_count() == 0);
  feed.on_channel_vacated(make_app("A", "k", "s"), "c");
  for (auto& s : sinks) CHECK(s.frames.size() == 1);
}

TEST_CASE("a reload closes watchers of removed and disabled apps") {
  EventFeed feed([] { return 0; });
  FakeSink a, b, c;
  feed.add(&a, "A");
  feed.add(&b, "B");
  feed.add(&c, "C");
  const channels::AppDirectory apps({make_app("A", "ka", "sa"), make_app("B", "kb", "sb", false)});
  feed.close_stale(apps);
  CHECK(a.close_code == 0);
  CHECK(b.close_code == 4003);
  CHECK(c.close_code == 4001);
}

TEST_CASE("feed upgrades are admitted only with the app's signature") {
  const std::int64_t now = 1'700'000'000;
  const channels::AppDirectory apps({make_app("1001", "key", "secret"), make_app("1002", "k2", "s2", false)});
  auto query = [&](std::string key, std::string secret, std::string id, std::int64_t ts) {
    return http_api::signed_query(key, secret, "GET", "/feed", "", ts, {{"app_id", id}});
  };
  CHECK(admit_watcher(apps, "/feed", "/feed", query("key", "secret", "1001", now), now, 600).status == 200);
  CHECK(admit_watcher(apps, "/feed", "/feed", query("key", "secret", "1001", now), now, 600).app_id == "1001");
  CHECK(admit_watcher(apps, "/feed", "/feed", query("key", "wrong", "1001", now), now, 600).status == 401);
  CHECK(admit_watcher(apps, "/feed", "/feed", query("key", "secret", "1001", now - 3600), now, 600).status == 401);
  CHECK(admit_watcher(apps, "/feed", "/feed", "app_id=1001", now, 600).status == 401);
  CHECK(admit_watcher(apps, "/feed", "/feed", query("key", "secret", "9", now), now, 600).status == 404);
  CHECK(admit_watcher(apps, "/feed", "/feed", "", now, 600).status == 404);
  CHECK(admit_watcher(apps, "/feed", "/feed", query("k2", "s2", "1002", now), now, 600).status == 403);
  // Behind a path prefix the prefixed path may be signed too.
  const std::string prefixed = http_api::signed_query("key", "secret", "GET", "/ws/feed", "", now, {{"app_id", "1001"}});
  CHECK(admit_watcher(apps, "/ws/feed", "/feed", prefixed, now, 600).status == 200);

  const FeedAdmission refused = admit_watcher(apps, "/feed", "/feed", "", now, 600);
  CHECK(refused.body() == R"({"error":"Missing app_id","code":404})");
}
