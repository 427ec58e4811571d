#include "channels/shared_throttle.hpp"

#include <iterator>

namespace pws::channels {

namespace {
constexpr std::size_t kPruneAbove = 4096;  // keys; expired ones are dropped past this
}

bool SharedThrottle::allow(std::string_view key, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (last_ms_.size() > kPruneAbove) {
    for (auto it = last_ms_.begin(); it != last_ms_.end();)
      it = now_ms - it->second >= interval_ms_ ? last_ms_.erase(it) : std::next(it);
  }
  auto [it, fresh] = last_ms_.try_emplace(std::string(key), now_ms);
  if (fresh) return true;
  if (now_ms - it->second < interval_ms_) return false;
  it->second = now_ms;
  return true;
}

}  // namespace pws::channels
