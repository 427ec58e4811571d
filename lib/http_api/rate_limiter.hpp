// Per-app rate limits of the HTTP API (protocol reference 6:
// max_backend_events_per_sec, max_read_req_per_sec): a budget of points per
// app per one-second window. Fixed windows, like the client-event limit:
// cheap (one map entry per app) and predictable for callers reading 429s.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pws::http_api {

class RateLimiter {
 public:
  /// Takes `points` from the app's budget of `limit` for the second that
  /// contains `now_ms`; false (and nothing taken) when they do not fit.
  /// `limit` < 0 means unlimited. A request larger than the whole budget
  /// never fits.
  bool try_take(std::string_view app_id, int limit, std::int64_t points, std::int64_t now_ms);

 private:
  struct Window {
    std::int64_t start_ms = 0;
    std::int64_t used = 0;
  };
  // Shared by the event loops of one server (one Api each): one lock per
  // limited request, uncontended with one loop.
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace pws::http_api
