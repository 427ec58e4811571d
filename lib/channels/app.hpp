// App: one tenant (id, key, secret, switches and limits) as a plain value.
// The registry fills it from TOML; channels never knows where it came from.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pws::channels {

/// Per-app limits; names and defaults from section 6 of the protocol
/// reference. -1 means unlimited where that makes sense.
struct AppLimits {
  std::int64_t max_connections = -1;
  int max_client_events_per_sec = 10;
  int max_event_payload_in_kb = 10;
  int max_event_name_length = 200;
  int max_event_channels_at_once = 100;
  int max_event_batch_size = 10;
  int max_channel_name_length = 164;
  int max_presence_members_per_channel = 100;
  int max_presence_member_size_in_kb = 1;
  int max_user_id_length = 128;
  int max_subscriptions_per_connection = 1000;
  int max_backend_events_per_sec = -1;
  int max_read_req_per_sec = -1;
  int max_watchlist_size = 100;  ///< user ids followed per signed-in user (4302 beyond)
  int cache_ttl = 1800;          ///< seconds a cache channel keeps its last event

  std::size_t max_event_payload_bytes() const noexcept {
    return static_cast<std::size_t>(max_event_payload_in_kb) * 1024;
  }
  std::size_t max_presence_member_bytes() const noexcept {
    return static_cast<std::size_t>(max_presence_member_size_in_kb) * 1024;
  }
};

/// The webhook event types of protocol reference 7.3.
inline constexpr std::string_view kWebhookEventTypes[] = {
    "channel_occupied", "channel_vacated", "member_added",      "member_removed",
    "client_event",     "cache_miss",      "subscription_count",
};

/// One webhook endpoint of an app (protocol reference 7.1, 7.2).
struct Webhook {
  std::string url;                       ///< http:// or https://
  std::vector<std::string> event_types;  ///< subset of kWebhookEventTypes; empty = all
  /// Extra request headers; never Content-Type, X-Pusher-Key or X-Pusher-Signature.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string channel_name_starts_with;  ///< filter; "" = any
  std::string channel_name_ends_with;    ///< filter; "" = any

  bool wants(std::string_view event_type, std::string_view channel) const noexcept;
};

struct App {
  std::string id;
  std::string key;
  std::string secret;
  std::string name;
  bool enabled = true;
  bool enable_client_messages = false;
  bool enable_statistics = true;
  bool enable_subscription_count = false;
  bool enable_user_authentication = false;
  int user_authentication_timeout_ms = 30000;
  bool require_tls = false;
  /// Origins allowed to open WebSockets (scheme://host[:port], host, or a
  /// "*.example.com" wildcard); empty or containing "*" means any origin.
  std::vector<std::string> allowed_origins;
  bool enable_watchlist_events = false;  ///< pusher_internal:watchlist_events (2.15)
  std::vector<Webhook> webhooks;
  bool webhook_batching = false;        ///< several events per request (7.2)
  int webhook_batching_window_ms = 50;  ///< how long events are collected into one request
  int webhook_vacate_delay_ms = 0;      ///< hold channel_vacated/member_removed this long (7.2)
  AppLimits limits;
};

/// An immutable set of apps, looked up by key (WebSocket) or id (HTTP API).
/// Reloading builds a new directory and swaps it in.
class AppDirectory {
 public:
  AppDirectory() = default;
  explicit AppDirectory(std::vector<App> apps);

  const App* find_by_key(std::string_view key) const noexcept;
  const App* find_by_id(std::string_view id) const noexcept;
  const std::vector<std::shared_ptr<const App>>& apps() const noexcept { return apps_; }
  std::shared_ptr<const App> shared_by_id(std::string_view id) const noexcept;

 private:
  std::vector<std::shared_ptr<const App>> apps_;
  std::unordered_map<std::string, std::size_t> by_key_;
  std::unordered_map<std::string, std::size_t> by_id_;
};

/// True when `origin` (the Origin header) is allowed by `app.allowed_origins`.
bool origin_allowed(const App& app, std::string_view origin);

}  // namespace pws::channels
