// Endpoint and AppWebhooks: an immutable snapshot of an app's webhook
// configuration, taken when the registry is (re)loaded and shared by every
// event produced under it. A reload makes new snapshots, so new URLs,
// secrets and filters apply to new events while queued ones keep theirs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/app.hpp"
#include "client/url.hpp"
#include "webhooks/figures.hpp"
#include "webhooks/webhook_event.hpp"

namespace pws::webhooks {

/// One URL of one app, with what a request to it needs.
struct Endpoint {
  std::string app_id;
  std::string app_key;
  std::string app_secret;  ///< signs bodies; never logged
  channels::Webhook hook;  ///< url, event_types, headers, filters
  client::Url server;      ///< where to connect
  std::string target;      ///< path and query
  /// For log lines: "app 1001, webhook http://host:port". The path and
  /// query are left out, as they often carry a token.
  std::string label;
  /// Identity across reloads (app id and URL): one queue and one request in
  /// flight per key.
  std::string queue_key;
  bool batching = false;
  std::int64_t batching_window_ms = 0;
  std::shared_ptr<AppFigures> figures;

  bool wants(EventType type, std::string_view channel) const {
    return hook.wants(event_type_name(type), channel);
  }
};

struct AppWebhooks {
  std::string app_id;
  std::int64_t vacate_delay_ms = 0;
  std::vector<std::shared_ptr<const Endpoint>> endpoints;
  std::shared_ptr<AppFigures> figures;

  /// True when some endpoint wants the event, or, with a vacate delay, its
  /// pair: a held channel_vacated must see the channel_occupied that
  /// cancels it even when no endpoint receives channel_occupied.
  bool wants_any(EventType type, std::string_view channel) const;
};

using LogFn = std::function<void(std::string_view line)>;

/// The snapshot of `app`, or null when it has no usable webhook. A URL the
/// HTTP client cannot use (the registry checks most) is reported through
/// `log` and skipped.
std::shared_ptr<const AppWebhooks> make_app_webhooks(const channels::App& app, FigureBook& figures,
                                                     const LogFn& log);

}  // namespace pws::webhooks
