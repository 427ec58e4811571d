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

  std::size_t max_event_payload_bytes() const noexcept {
    return static_cast<std::size_t>(max_event_payload_in_kb) * 1024;
  }
  std::size_t max_presence_member_bytes() const noexcept {
    return static_cast<std::size_t>(max_presence_member_size_in_kb) * 1024;
  }
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
