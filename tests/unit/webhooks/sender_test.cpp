// Sender and Webhooks with their real threads and clock, over a fake
// transport: hand-over, delivery, a blocked endpoint beside a healthy one,
// and the bounded graceful stop.
#include "webhooks/sender.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"
#include "webhooks/webhooks.hpp"
#include "webhooks/webhook_test_support.hpp"

using namespace pws;
using namespace pws::webhooks;
using namespace pws::webhooks::test;
using namespace std::chrono_literals;

namespace {

/// Records every request; answers 2xx unless `respond` says otherwise.
class FakeTransport final : public Transport {
 public:
  AttemptResult post(const Delivery& delivery, const std::atomic<bool>& cancel) noexcept override {
    {
      std::lock_guard lock(mutex_);
      seen_.push_back(delivery);
    }
    changed_.notify_all();
    return respond ? respond(delivery, cancel) : AttemptResult{true, {}};
  }

  /// Waits (at most 5 s) until `n` requests arrived; returns them.
  std::vector<Delivery> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return seen_.size() >= n; });
    return seen_;
  }
  std::vector<Delivery> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

  std::function<AttemptResult(const Delivery&, const std::atomic<bool>&)> respond;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Delivery> seen_;
};

/// Blocks until cancelled, as a dead endpoint that never answers would.
AttemptResult hang(const std::atomic<bool>& cancel) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!cancel && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
  return AttemptResult{false, "no answer: cancelled"};
}

SenderSettings quick_settings(std::size_t workers = 2) {
  SenderSettings settings;
  settings.delivery.workers = workers;
  return settings;
}

http_api::WebhookAppFigures figures_of(const http_api::WebhookFigures& source, std::string_view app_id = "1001") {
  for (const auto& [id, row] : source.webhook_figures())
    if (id == app_id) return row;
  return {};
}

}  // namespace

TEST_CASE("the sender delivers what is offered, from its own threads", "[webhooks][sender]") {
  FakeTransport transport;
  SystemClock clock;
  LogLines log;
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  Sender sender(quick_settings(), transport, clock, log.fn());
  CHECK_FALSE(sender.offer(make_event(snap, EventType::ChannelOccupied, "early", clock.monotonic_ms())));
  sender.start();
  REQUIRE(sender.offer(make_event(snap, EventType::ChannelOccupied, "a", clock.monotonic_ms())));
  REQUIRE(sender.offer(make_event(snap, EventType::ChannelVacated, "a", clock.monotonic_ms())));
  auto seen = transport.wait_for(2);
  REQUIRE(seen.size() == 2);
  CHECK(body_events(seen[0].request->body) == std::vector<std::string>{"channel_occupied a"});
  CHECK(body_events(seen[1].request->body) == std::vector<std::string>{"channel_vacated a"});
  sender.stop(1s);
  CHECK(figures_of(book).sent == 2);
  CHECK_FALSE(sender.offer(make_event(snap, EventType::ChannelOccupied, "late", clock.monotonic_ms())));
}

TEST_CASE("an endpoint that never answers does not hold up another app's endpoint", "[webhooks][sender]") {
  FakeTransport transport;
  transport.respond = [](const Delivery& d, const std::atomic<bool>& cancel) {
    return d.endpoint->hook.url.ends_with("/dead") ? hang(cancel) : AttemptResult{true, {}};
  };
  SystemClock clock;
  LogLines log;
  FigureBook book;
  auto dead_app = app_with({hook("http://127.0.0.1:9/dead")});
  dead_app.id = "dead";
  auto dead = snapshot(dead_app, book);
  auto healthy = snapshot(app_with({hook("http://127.0.0.1:9/healthy")}), book);
  Sender sender(quick_settings(2), transport, clock, log.fn());
  sender.start();
  sender.offer(make_event(dead, EventType::ChannelOccupied, "x", clock.monotonic_ms()));
  for (int i = 0; i < 5; ++i) sender.offer(make_event(healthy, EventType::ChannelOccupied, "h", clock.monotonic_ms()));
  auto seen = transport.wait_for(6);
  CHECK(seen.size() == 6);
  const auto start = std::chrono::steady_clock::now();
  sender.stop(200ms);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(figures_of(book).sent == 5);
  CHECK(figures_of(book, "dead").dropped == 1);
  CHECK(log.any_contains("app dead, webhook http://127.0.0.1:9: dropped 1 events at shutdown"));
}

TEST_CASE("a graceful stop sends what waits in a batching window at once", "[webhooks][sender][stop]") {
  FakeTransport transport;
  SystemClock clock;
  LogLines log;
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook")});
  app.webhook_batching = true;
  app.webhook_batching_window_ms = 60'000;
  auto snap = snapshot(app, book);
  Sender sender(quick_settings(), transport, clock, log.fn());
  sender.start();
  sender.offer(make_event(snap, EventType::ChannelOccupied, "a", clock.monotonic_ms()));
  sender.offer(make_event(snap, EventType::ChannelOccupied, "b", clock.monotonic_ms()));
  const auto start = std::chrono::steady_clock::now();
  sender.stop(3s);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  auto seen = transport.seen();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].events == 2);
  CHECK(figures_of(book).sent == 2);
}

TEST_CASE("stop with a zero grace drops what is queued, counted and logged", "[webhooks][sender][stop]") {
  FakeTransport transport;
  transport.respond = [](const Delivery&, const std::atomic<bool>& cancel) { return hang(cancel); };
  SystemClock clock;
  LogLines log;
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  Sender sender(quick_settings(), transport, clock, log.fn());
  sender.start();
  for (int i = 0; i < 4; ++i) sender.offer(make_event(snap, EventType::ChannelOccupied, "c", clock.monotonic_ms()));
  transport.wait_for(1);
  const auto start = std::chrono::steady_clock::now();
  sender.stop(0ms);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  const auto f = figures_of(book);
  CHECK(f.dropped == 4);
  CHECK(f.pending == 0);
  CHECK(log.any_contains("dropped 4 events at shutdown"));
}

TEST_CASE("Webhooks wires the hub to the sender and figures for /metrics (#148)", "[webhooks][facade]") {
  FakeTransport transport;
  SystemClock clock;
  LogLines log;
  channels::test::HubFixture hub_fixture({app_with({hook("http://127.0.0.1:9/hook")})});
  WebhooksSettings settings;
  settings.sender = quick_settings();
  Webhooks webhooks(settings, clock, transport, log.fn());
  webhooks.set_apps(hub_fixture.hub.apps());
  hub_fixture.hub.add_observer(&webhooks.observer());

  auto a = hub_fixture.connect();
  hub_fixture.subscribe(a, "orders");
  hub_fixture.hub.close(a);
  auto seen = transport.wait_for(2);
  REQUIRE(seen.size() == 2);
  CHECK(body_events(seen[0].request->body) == std::vector<std::string>{"channel_occupied orders"});
  CHECK(body_events(seen[1].request->body) == std::vector<std::string>{"channel_vacated orders"});
  webhooks.stop();
  const auto f = figures_of(webhooks.figures());
  CHECK(f.queued == 2);
  CHECK(f.sent == 2);
  hub_fixture.hub.remove_observer(&webhooks.observer());
}

TEST_CASE("the hand-over queue is bounded in events and bytes and refuses, never waits", "[webhooks][sender][bounds]") {
  FakeTransport transport;
  SystemClock clock;
  LogLines log;
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  SenderSettings settings = quick_settings();
  settings.inbox_capacity_bytes = 100;
  Sender sender(settings, transport, clock, log.fn());
  sender.start();
  QueuedEvent big = make_event(snap, EventType::ClientEvent, "private-a", clock.monotonic_ms());
  big.event.data = std::string(200, 'x');
  CHECK_FALSE(sender.offer(std::move(big)));
  CHECK(sender.offer(make_event(snap, EventType::ChannelOccupied, "small", clock.monotonic_ms())));
  CHECK(transport.wait_for(1).size() == 1);
  sender.stop(1s);

  SenderSettings none = quick_settings();
  none.inbox_capacity = 0;
  Sender full(none, transport, clock, log.fn());
  full.start();
  CHECK_FALSE(full.offer(make_event(snap, EventType::ChannelOccupied, "x", clock.monotonic_ms())));
}
