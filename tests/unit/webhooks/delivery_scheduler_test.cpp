// DeliveryScheduler on a manual clock, every request answered by hand:
// batching, ordering, retries, vacate delay, bounds, workers and stopping.
#include "webhooks/delivery_scheduler.hpp"

#include <catch2/catch.hpp>

#include "webhooks/webhook_test_support.hpp"

using namespace pws;
using namespace pws::webhooks;
using namespace pws::webhooks::test;

namespace {

http_api::WebhookAppFigures figures_of(const FigureBook& book, std::string_view app_id = "1001") {
  for (const auto& [id, row] : book.webhook_figures())
    if (id == app_id) return row;
  FAIL("no figures for app " << app_id);
  return {};
}

}  // namespace

// ---- Requests ----

TEST_CASE("without batching every event is its own signed request, in order, one at a time (#149, #150)",
          "[webhooks][scheduler]") {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook?token=t", {})});
  app.webhooks[0].headers = {{"X-Api-Token", "t0k3n"}};
  auto snap = snapshot(app, book);
  Driver d;
  d.accept(make_event(snap, EventType::ChannelOccupied, "a", d.now));
  d.accept(make_event(snap, EventType::ChannelOccupied, "b", d.now));

  auto first = d.take();
  REQUIRE(first.size() == 1);  // the second waits for the first: ordering
  const Delivery& one = first[0];
  CHECK(one.attempt == 1);
  CHECK(one.events == 1);
  CHECK(one.timeout_ms == 10'000);
  CHECK(one.endpoint->target == "/hook?token=t");
  CHECK(one.request->body == R"({"time_ms":1700001000000,"events":[{"name":"channel_occupied","channel":"a"}]})");
  REQUIRE(one.request->headers.size() == 3);
  CHECK(one.request->headers[0] == std::pair<std::string, std::string>{"X-Pusher-Key", "pws-key"});
  CHECK(one.request->headers[1].second == webhook_signature("pws-secret", one.request->body));
  CHECK(one.request->headers[2] == std::pair<std::string, std::string>{"X-Api-Token", "t0k3n"});

  d.answer(one, true);
  auto second = d.take();
  REQUIRE(second.size() == 1);
  CHECK(body_events(second[0].request->body) == std::vector<std::string>{"channel_occupied b"});
  d.answer(second[0], true);
  CHECK(d.scheduler.idle());
  const auto f = figures_of(book);
  CHECK(f.queued == 2);
  CHECK(f.sent == 2);
  CHECK(f.pending == 0);
}

TEST_CASE("batching collects the events of the window into one request (#156)", "[webhooks][scheduler][batching]") {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook")});
  app.webhook_batching = true;
  app.webhook_batching_window_ms = 50;
  auto snap = snapshot(app, book);
  Driver d;
  const std::int64_t start = d.now;
  d.accept(make_event(snap, EventType::ChannelOccupied, "a", d.now));
  CHECK(d.take().empty());  // the window is open
  CHECK(d.scheduler.next_wake() == start + 50);
  d.now += 20;
  d.accept(make_event(snap, EventType::MemberAdded, "presence-b", d.now, "42"));
  d.now += 29;
  CHECK(d.take().empty());
  d.now += 1;
  auto sent = d.take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].events == 2);
  CHECK(body_events(sent[0].request->body) == std::vector<std::string>{"channel_occupied a", "member_added presence-b 42"});
  // time_ms is when the first event happened; the signature covers the whole body.
  CHECK(boost::json::parse(sent[0].request->body).at("time_ms").as_int64() == 1'700'000'000'000 + start);
  CHECK(sent[0].request->headers[1].second == webhook_signature("pws-secret", sent[0].request->body));

  // Events during the request wait for it, then go together.
  d.accept(make_event(snap, EventType::ChannelVacated, "a", d.now));
  d.accept(make_event(snap, EventType::ChannelVacated, "c", d.now));
  d.now += 100;
  CHECK(d.take().empty());
  d.answer(sent[0], true);
  auto next = d.take();
  REQUIRE(next.size() == 1);
  CHECK(next[0].events == 2);
}

TEST_CASE("a batch holds at most 100 events and a full batch does not wait for the window", "[webhooks][scheduler][batching]") {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook")});
  app.webhook_batching = true;
  app.webhook_batching_window_ms = 60'000;
  auto snap = snapshot(app, book);
  Driver d;
  for (int i = 0; i < 250; ++i) d.accept(make_event(snap, EventType::ChannelOccupied, "c" + std::to_string(i), d.now));
  auto first = d.take();
  REQUIRE(first.size() == 1);
  CHECK(first[0].events == 100);
  CHECK(body_events(first[0].request->body).front() == "channel_occupied c0");
  d.answer(first[0], true);
  auto second = d.take();
  REQUIRE(second.size() == 1);
  CHECK(second[0].events == 100);
  CHECK(body_events(second[0].request->body).front() == "channel_occupied c100");
  d.answer(second[0], true);
  CHECK(d.take().empty());  // 50 left: their window is still open
  d.advance_to_wake();
  auto last = d.take();
  REQUIRE(last.size() == 1);
  CHECK(last[0].events == 50);
}

TEST_CASE("endpoints get only the events their filters want, encoded once (#154, #155)", "[webhooks][scheduler]") {
  FigureBook book;
  auto presence = hook("http://127.0.0.1:9/presence");
  presence.channel_name_starts_with = "presence-";
  auto app = app_with({hook("http://127.0.0.1:9/vacated", {"channel_vacated"}), presence});
  auto snap = snapshot(app, book);
  Driver d;
  d.accept(make_event(snap, EventType::ChannelOccupied, "orders", d.now));
  d.accept(make_event(snap, EventType::ChannelVacated, "presence-room", d.now));
  d.accept(make_event(snap, EventType::ChannelOccupied, "presence-room", d.now));
  std::map<std::string, std::vector<std::string>> got;
  for (int round = 0; round < 3; ++round) {
    for (const auto& delivery : d.take()) {
      for (const auto& e : body_events(delivery.request->body)) got[delivery.endpoint->hook.url].push_back(e);
      d.answer(delivery, true);
    }
  }
  CHECK(got["http://127.0.0.1:9/vacated"] == std::vector<std::string>{"channel_vacated presence-room"});
  CHECK(got["http://127.0.0.1:9/presence"] ==
        std::vector<std::string>{"channel_vacated presence-room", "channel_occupied presence-room"});
  CHECK(figures_of(book).queued == 3);
}

// ---- Retries ----

TEST_CASE("failed requests are retried with the same bytes after 1, 2, 4 ... s until a 2xx (#153)",
          "[webhooks][scheduler][retry]") {
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  Driver d;
  d.accept(make_event(snap, EventType::ChannelOccupied, "orders", d.now));
  auto attempt = d.take();
  REQUIRE(attempt.size() == 1);
  const auto body = attempt[0].request;
  const std::int64_t start = d.now;
  std::vector<std::int64_t> retry_at;
  for (int i = 0; i < 4; ++i) {
    d.answer(attempt[0], false);
    CHECK(d.take().empty());
    d.advance_to_wake();
    retry_at.push_back(d.now - start);
    attempt = d.take();
    REQUIRE(attempt.size() == 1);
    CHECK(attempt[0].request == body);  // signed once, sent again as is
    CHECK(attempt[0].attempt == i + 2);
  }
  CHECK(retry_at == std::vector<std::int64_t>{1000, 3000, 7000, 15000});
  d.answer(attempt[0], true);
  const auto f = figures_of(book);
  CHECK(f.failed_attempts == 4);
  CHECK(f.sent == 1);
  CHECK(f.dropped == 0);
  CHECK(d.log.any_contains("app 1001, webhook http://127.0.0.1:9: request failed (HTTP 500); retrying for up to 300 s"));
  CHECK(d.log.any_contains("delivered 1 events at attempt 5"));
}

TEST_CASE("retries are at most 60 s apart and stop 5 minutes after the first attempt, dropping the batch once",
          "[webhooks][scheduler][retry]") {
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  Driver d;
  d.accept(make_event(snap, EventType::ChannelOccupied, "orders", d.now));
  const std::int64_t start = d.now;
  std::vector<std::int64_t> attempts_at;
  while (true) {
    auto attempt = d.take();
    REQUIRE(attempt.size() == 1);
    attempts_at.push_back(d.now - start);
    d.answer(attempt[0], false, "no answer from 127.0.0.1:9: timed out after 10 s");
    if (d.scheduler.idle()) break;
    d.advance_to_wake();
  }
  CHECK(attempts_at == std::vector<std::int64_t>{0, 1000, 3000, 7000, 15000, 31000, 63000, 123000, 183000, 243000});
  const auto f = figures_of(book);
  CHECK(f.failed_attempts == 10);
  CHECK(f.dropped == 1);
  CHECK(f.pending == 0);
  std::size_t drop_lines = 0;
  for (const auto& line : d.log.lines) drop_lines += line.find("dropped 1 events after 10 attempts") != std::string::npos;
  CHECK(drop_lines == 1);
  CHECK(d.log.any_contains("(last: no answer from 127.0.0.1:9: timed out after 10 s)"));
  for (const auto& line : d.log.lines) CHECK(line.find("pws-secret") == std::string::npos);
}

TEST_CASE("the retry window is configurable; 0 means a single attempt", "[webhooks][scheduler][retry]") {
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  DeliverySettings settings;
  settings.retry_window_ms = 0;
  Driver d(settings);
  d.accept(make_event(snap, EventType::ChannelOccupied, "orders", d.now));
  auto attempt = d.take();
  REQUIRE(attempt.size() == 1);
  d.answer(attempt[0], false);
  CHECK(d.scheduler.idle());
  CHECK(figures_of(book).dropped == 1);
}

TEST_CASE("behind an endpoint that ran out of retries, events older than the window are dropped unsent",
          "[webhooks][scheduler][retry]") {
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  DeliverySettings settings;
  settings.retry_window_ms = 10'000;
  Driver d(settings);
  d.accept(make_event(snap, EventType::ChannelOccupied, "first", d.now));
  auto attempt = d.take();
  d.accept(make_event(snap, EventType::ChannelOccupied, "old", d.now));  // waits behind it
  while (true) {
    d.answer(attempt.at(0), false);
    if (!d.scheduler.next_wake() || figures_of(book).dropped == 1) break;
    d.advance_to_wake();
    attempt = d.take();
  }
  d.now += 5000;
  d.accept(make_event(snap, EventType::ChannelOccupied, "fresh", d.now));
  auto next = d.take();
  REQUIRE(next.size() == 1);
  CHECK(body_events(next[0].request->body) == std::vector<std::string>{"channel_occupied fresh"});
  CHECK(figures_of(book).dropped == 2);
  CHECK(d.log.any_contains("dropped 1 events (waited longer than the retry window)"));
  d.answer(next[0], true);
  CHECK(d.scheduler.idle());
}

// ---- Bounds ----

TEST_CASE("an endpoint holds at most max_pending_events; more are dropped, counted and logged at most every 10 s",
          "[webhooks][scheduler][bounds]") {
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  DeliverySettings settings;
  settings.max_pending_events = 3;
  Driver d(settings);
  for (int i = 0; i < 10; ++i) d.accept(make_event(snap, EventType::ChannelOccupied, "c" + std::to_string(i), d.now));
  auto f = figures_of(book);
  CHECK(f.queued == 3);
  CHECK(f.dropped == 7);
  CHECK(f.pending == 3);
  std::size_t lines = 0;
  for (const auto& line : d.log.lines) lines += line.find("queue full") != std::string::npos;
  CHECK(lines == 1);
  d.now += 10'000;
  d.accept(make_event(snap, EventType::ChannelOccupied, "late", d.now));
  CHECK(d.log.any_contains("dropped 7 events (queue full: 3 events waiting)"));

  // In-flight events count too: the bound is on memory, not on the queue.
  auto sending = d.take();
  REQUIRE(sending.size() == 1);
  d.accept(make_event(snap, EventType::ChannelOccupied, "x", d.now));
  CHECK(figures_of(book).queued == 3);
  d.answer(sending[0], true);
  d.accept(make_event(snap, EventType::ChannelOccupied, "y", d.now));
  CHECK(figures_of(book).queued == 4);
}

TEST_CASE("a dead endpoint keeps at most workers - 1 workers, so another endpoint is never starved",
          "[webhooks][scheduler][workers]") {
  FigureBook book;
  DeliverySettings settings;
  settings.workers = 2;
  Driver d(settings);
  std::vector<std::shared_ptr<const AppWebhooks>> dead;
  for (int i = 0; i < 3; ++i) {
    auto app = app_with({hook("http://127.0.0.1:9/dead" + std::to_string(i))});
    app.id = "dead" + std::to_string(i);
    dead.push_back(snapshot(app, book));
    d.accept(make_event(dead.back(), EventType::ChannelOccupied, "x", d.now));
  }
  // First attempts share both workers...
  auto first = d.take();
  REQUIRE(first.size() == 2);
  for (const auto& delivery : first) d.answer(delivery, false, "cannot connect to 127.0.0.1:9: connection refused");
  auto third = d.take();
  REQUIRE(third.size() == 1);
  d.answer(third[0], false);
  // ... but retries get one of the two.
  d.now += 60'000;
  auto retries = d.take();
  CHECK(retries.size() == 1);
  auto healthy = snapshot(app_with({hook("http://127.0.0.1:9/healthy")}), book);
  d.accept(make_event(healthy, EventType::ChannelOccupied, "orders", d.now));
  auto fresh = d.take();
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0].endpoint->hook.url == "http://127.0.0.1:9/healthy");
  CHECK(d.take().empty());  // both workers busy
}

// ---- Vacate delay ----

TEST_CASE("a quick return within webhook_vacate_delay_ms cancels both vacated and occupied (7.2)",
          "[webhooks][scheduler][vacate]") {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook")});
  app.webhook_vacate_delay_ms = 3000;
  auto snap = snapshot(app, book);
  Driver d;
  d.accept(make_event(snap, EventType::ChannelOccupied, "orders", d.now));
  auto occupied = d.take();
  REQUIRE(occupied.size() == 1);
  d.answer(occupied[0], true);

  d.accept(make_event(snap, EventType::MemberRemoved, "presence-r", d.now, "42"));
  d.accept(make_event(snap, EventType::ChannelVacated, "orders", d.now));
  CHECK(d.take().empty());  // held
  d.now += 2999;
  d.accept(make_event(snap, EventType::ChannelOccupied, "orders", d.now));
  d.accept(make_event(snap, EventType::MemberAdded, "presence-r", d.now, "42"));
  CHECK(d.take().empty());
  CHECK(d.scheduler.idle());
  CHECK(figures_of(book).queued == 1);
}

TEST_CASE("a held vacancy is sent once the delay passed, and a different user does not cancel it",
          "[webhooks][scheduler][vacate]") {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook")});
  app.webhook_vacate_delay_ms = 3000;
  auto snap = snapshot(app, book);
  Driver d;
  const std::int64_t left = d.now;
  d.accept(make_event(snap, EventType::MemberRemoved, "presence-r", d.now, "42"));
  d.now += 1000;
  d.accept(make_event(snap, EventType::MemberAdded, "presence-r", d.now, "43"));
  auto added = d.take();
  REQUIRE(added.size() == 1);
  CHECK(body_events(added[0].request->body) == std::vector<std::string>{"member_added presence-r 43"});
  d.answer(added[0], true);
  CHECK(d.scheduler.next_wake() == left + 3000);
  d.advance_to_wake();
  auto removed = d.take();
  REQUIRE(removed.size() == 1);
  CHECK(body_events(removed[0].request->body) == std::vector<std::string>{"member_removed presence-r 42"});
  // time_ms is when the member left, not when the hold ended.
  CHECK(boost::json::parse(removed[0].request->body).at("time_ms").as_int64() == 1'700'000'000'000 + left);
}

TEST_CASE("without a vacate delay vacancies go at once", "[webhooks][scheduler][vacate]") {
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  Driver d;
  d.accept(make_event(snap, EventType::ChannelVacated, "orders", d.now));
  CHECK(d.take().size() == 1);
}

// ---- Reloads and stopping ----

TEST_CASE("after a reload new events are signed with the new secret in a request of their own",
          "[webhooks][scheduler][reload]") {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook")});
  app.webhook_batching = true;
  auto before = snapshot(app, book);
  app.secret = "rotated";
  auto after = snapshot(app, book);
  Driver d;
  d.accept(make_event(before, EventType::ChannelOccupied, "a", d.now));
  d.accept(make_event(after, EventType::ChannelOccupied, "b", d.now));
  d.advance_to_wake();
  auto first = d.take();
  REQUIRE(first.size() == 1);  // one endpoint (same URL): still one request at a time
  CHECK(body_events(first[0].request->body) == std::vector<std::string>{"channel_occupied a"});
  CHECK(first[0].request->headers[1].second == webhook_signature("pws-secret", first[0].request->body));
  d.answer(first[0], true);
  auto second = d.take();
  REQUIRE(second.size() == 1);
  CHECK(second[0].request->headers[1].second == webhook_signature("rotated", second[0].request->body));
}

TEST_CASE("stopping releases held events, ends batching windows and bounds request timeouts",
          "[webhooks][scheduler][stop]") {
  FigureBook book;
  auto app = app_with({hook("http://127.0.0.1:9/hook")});
  app.webhook_batching = true;
  app.webhook_batching_window_ms = 60'000;
  app.webhook_vacate_delay_ms = 60'000;
  auto snap = snapshot(app, book);
  Driver d;
  d.accept(make_event(snap, EventType::ChannelVacated, "orders", d.now));
  d.accept(make_event(snap, EventType::ClientEvent, "private-x", d.now));
  CHECK(d.take().empty());
  d.scheduler.begin_shutdown(d.now, d.now + 3000);
  auto out = d.take();
  REQUIRE(out.size() == 1);
  CHECK(out[0].events == 2);
  CHECK(out[0].timeout_ms == 3000);
  d.answer(out[0], true);
  CHECK(d.scheduler.idle());
}

TEST_CASE("what is not delivered by the stop deadline is dropped, counted and logged per endpoint",
          "[webhooks][scheduler][stop]") {
  FigureBook book;
  auto snap = snapshot(app_with({hook("http://127.0.0.1:9/hook")}), book);
  Driver d;
  for (int i = 0; i < 3; ++i) d.accept(make_event(snap, EventType::ChannelOccupied, "c" + std::to_string(i), d.now));
  auto attempt = d.take();
  d.answer(attempt.at(0), false);
  d.scheduler.begin_shutdown(d.now, d.now + 500);  // the retry (in 1 s) falls after it
  CHECK(d.take().empty());
  d.now += 500;
  CHECK(d.take().empty());
  d.scheduler.abandon(d.now);
  CHECK(d.scheduler.idle());
  const auto f = figures_of(book);
  CHECK(f.dropped == 3);
  CHECK(f.pending == 0);
  CHECK(d.log.any_contains("dropped 3 events at shutdown"));
}
