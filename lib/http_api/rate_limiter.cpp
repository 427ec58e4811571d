#include "http_api/rate_limiter.hpp"

namespace pws::http_api {

bool RateLimiter::try_take(std::string_view app_id, int limit, std::int64_t points, std::int64_t now_ms) {
  if (limit < 0) return true;
  std::lock_guard lock(mutex_);
  auto it = windows_.find(std::string(app_id));
  if (it == windows_.end()) it = windows_.emplace(std::string(app_id), Window{now_ms, 0}).first;
  Window& window = it->second;
  if (now_ms - window.start_ms >= 1000) window = Window{now_ms, 0};
  if (window.used + points > limit) return false;
  window.used += points;
  return true;
}

}  // namespace pws::http_api
