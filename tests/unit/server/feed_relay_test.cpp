// FeedRelay (issue 8): a watcher on one event loop sees the events of the
// other loops' connections, copied only while someone watches.
#include "server/feed_relay.hpp"

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "server/event_feed.hpp"

using namespace pws;
using namespace pws::server;

namespace {

struct FakeSink final : FeedSink {
  std::vector<std::string> payloads;
  void feed_send(const protocol::Frame& frame) override { payloads.emplace_back(frame.payload()); }
  void feed_close(int, std::string_view) override {}
};

channels::AppDirectory one_app() {
  channels::App app;
  app.id = "1001";
  app.key = "pws-key";
  app.secret = "pws-secret";
  return channels::AppDirectory({app});
}

}  // namespace

TEST_CASE("the other loop's events reach this loop's watchers, only while anybody watches") {
  auto exchange = std::make_shared<FeedExchange>();
  int wakes = 0;
  FeedRelay here(exchange, [&] { ++wakes; });
  FeedRelay there(exchange, [] {});
  EventFeed feed([] { return std::int64_t{1}; });
  feed.count_watchers_in(&exchange->watchers());
  const channels::AppDirectory apps = one_app();
  const channels::App& app = *apps.find_by_id("1001");

  there.on_connected(app, "1.1", "");
  here.replay(feed, apps);
  CHECK(wakes == 0);  // nobody watched: nothing was copied

  FakeSink watcher;
  feed.add(&watcher, "1001");
  CHECK(exchange->watchers().load() == 1);
  there.on_connected(app, "2.2", "https://example.test");
  there.on_client_event(app, "2.2", "private-chat", "client-typing", "{}", "");
  here.on_disconnected(app, "3.3");  // its own loop's: not sent back to itself
  CHECK(wakes == 1);
  here.replay(feed, apps);
  REQUIRE(watcher.payloads.size() == 3);  // feed_started and the two relayed events
  CHECK(watcher.payloads[1].find("\"type\":\"connected\"") != std::string::npos);
  CHECK(watcher.payloads[1].find("\"socket_id\":\"2.2\"") != std::string::npos);
  CHECK(watcher.payloads[2].find("\"event\":\"client-typing\"") != std::string::npos);

  feed.remove(&watcher, "1001");
  CHECK(exchange->watchers().load() == 0);
}
