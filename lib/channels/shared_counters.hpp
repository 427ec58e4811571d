// SharedCounters: with several event loops (one hub each), one set of
// per-app traffic counters for all of them (the connections open are the
// ConnectionLedger's), so /metrics and the
// statistics' current figures describe the whole server whichever loop
// answers. Each hub adds to them with relaxed atomics where it counts its
// own (per connection, per client message, per broadcast: never per
// recipient); any loop reads them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pws::channels {

struct AppCounters;

struct AtomicAppCounters {
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> websocket_messages_in{0};
  std::atomic<std::uint64_t> bytes_in{0};
  std::atomic<std::uint64_t> api_messages{0};
  std::atomic<std::uint64_t> messages_out{0};
  std::atomic<std::uint64_t> bytes_out{0};
};

class SharedCounters {
 public:
  /// The app's counters, created on first use; the address stays valid.
  AtomicAppCounters& of(std::string_view app_id);
  /// Copies the app's counters into `into` (left alone for an app never counted).
  void read(std::string_view app_id, AppCounters& into) const;

 private:
  mutable std::mutex mutex_;  // the map only; the counters are atomics
  std::unordered_map<std::string, std::unique_ptr<AtomicAppCounters>> by_app_;
};

}  // namespace pws::channels
