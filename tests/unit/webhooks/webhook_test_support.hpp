// Test support for the webhook module: apps with webhooks, configuration
// snapshots, a recording EventSink, events built by hand, the webhook test
// vectors, and a scheduler driver that plays the sender's part on a manual
// clock (every delivery answered by a scripted fake transport).
#pragma once

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "channels/app.hpp"
#include "webhooks/delivery_scheduler.hpp"
#include "webhooks/endpoint.hpp"
#include "webhooks/event_sink.hpp"
#include "webhooks/figures.hpp"

namespace pws::webhooks::test {

namespace json = boost::json;

inline channels::Webhook hook(std::string url, std::vector<std::string> types = {}) {
  channels::Webhook w;
  w.url = std::move(url);
  w.event_types = std::move(types);
  return w;
}

/// App 1001 / pws-key / pws-secret with the given endpoints.
inline channels::App app_with(std::vector<channels::Webhook> hooks) {
  channels::App app;
  app.id = "1001";
  app.key = "pws-key";
  app.secret = "pws-secret";
  app.enable_client_messages = true;
  app.webhooks = std::move(hooks);
  return app;
}

/// Log lines, for checks on what was reported.
struct LogLines {
  std::vector<std::string> lines;
  LogFn fn() {
    return [this](std::string_view line) { lines.emplace_back(line); };
  }
  bool any_contains(std::string_view text) const {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  }
};

inline std::shared_ptr<const AppWebhooks> snapshot(const channels::App& app, FigureBook& figures) {
  auto hooks = make_app_webhooks(app, figures, [](std::string_view) {});
  REQUIRE(hooks);
  return hooks;
}

class RecordingSink final : public EventSink {
 public:
  bool offer(QueuedEvent&& event) override {
    if (refuse) return false;
    events.push_back(std::move(event));
    return true;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : events) out.emplace_back(event_type_name(e.event.type));
    return out;
  }
  bool refuse = false;
  std::vector<QueuedEvent> events;
};

inline QueuedEvent make_event(std::shared_ptr<const AppWebhooks> app, EventType type, std::string channel,
                              std::int64_t at_ms, std::string user_id = {}) {
  QueuedEvent e{std::move(app), {}};
  e.event.type = type;
  e.event.channel = std::move(channel);
  e.event.user_id = std::move(user_id);
  e.event.at_ms = at_ms;
  e.event.time_ms = 1'700'000'000'000 + at_ms;
  return e;
}

/// The `events` of a request body, as "name channel[ user_id]" lines.
inline std::vector<std::string> body_events(std::string_view body) {
  std::vector<std::string> out;
  const json::value doc = json::parse(body);
  for (const auto& e : doc.at("events").as_array()) {
    std::string line = std::string(e.at("name").as_string()) + " " + std::string(e.at("channel").as_string());
    if (const auto* user = e.as_object().if_contains("user_id")) line += " " + std::string(user->as_string());
    out.push_back(std::move(line));
  }
  return out;
}

/// Plays the sender: hands out deliveries at `now` and answers them.
struct Driver {
  explicit Driver(DeliverySettings settings = {}) : scheduler(settings, log.fn()) {}

  /// Every delivery due now, marked in flight.
  std::vector<Delivery> take() {
    std::vector<Delivery> out;
    while (auto d = scheduler.next_delivery(now)) out.push_back(std::move(*d));
    return out;
  }
  void answer(const Delivery& d, bool ok, std::string failure = "HTTP 500") {
    scheduler.complete(d.id, AttemptResult{ok, ok ? std::string() : std::move(failure)}, now);
  }
  /// Moves time to the scheduler's next wake-up (REQUIREs there is one).
  void advance_to_wake() {
    auto wake = scheduler.next_wake();
    REQUIRE(wake.has_value());
    if (*wake > now) now = *wake;
  }
  void accept(QueuedEvent e) { scheduler.accept(std::move(e), now); }

  LogLines log;
  DeliveryScheduler scheduler;
  std::int64_t now = 1'000'000;
};

inline json::array webhook_vectors() {
  std::ifstream in(std::string(PWS_TEST_DATA_DIR) + "/test-vectors.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  boost::json::error_code ec;
  auto doc = json::parse(text.str(), ec);
  REQUIRE_FALSE(ec);
  return doc.at("webhooks").as_array();
}

inline std::string str(const json::value& v) { return std::string(v.as_string()); }

}  // namespace pws::webhooks::test
