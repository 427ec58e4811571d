// SharedThrottle: "at most once per key per interval" for the hubs of one
// process with several event loops, for notifications the protocol limits
// per channel whichever connection causes them (cache_miss, 2.12). Rare
// events only: one lock per call.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pws::channels {

class SharedThrottle {
 public:
  explicit SharedThrottle(std::int64_t interval_ms) : interval_ms_(interval_ms) {}
  /// True (and the key's time is now) unless the key was allowed less than
  /// an interval before `now_ms`.
  bool allow(std::string_view key, std::int64_t now_ms);

 private:
  const std::int64_t interval_ms_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> last_ms_;
};

}  // namespace pws::channels
