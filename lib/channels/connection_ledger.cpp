#include "channels/connection_ledger.hpp"

#include <algorithm>
#include <utility>

namespace pws::channels {

ConnectionLedger::Admission ConnectionLedger::admit(std::string_view app_id, std::int64_t app_limit,
                                                    std::int64_t server_limit) {
  std::lock_guard lock(mutex_);
  auto it = by_app_.find(std::string(app_id));
  const std::int64_t of_app = it == by_app_.end() ? 0 : it->second.now;
  if (app_limit >= 0 && of_app >= app_limit) return Admission::AppFull;
  if (server_limit >= 0 && total_ >= server_limit) return Admission::ServerFull;
  if (it == by_app_.end()) it = by_app_.emplace(std::string(app_id), Open{}).first;
  Open& open = it->second;
  open.peak = std::max(open.peak, ++open.now);
  ++total_;
  return Admission::Admitted;
}

void ConnectionLedger::release(std::string_view app_id) {
  std::lock_guard lock(mutex_);
  auto it = by_app_.find(std::string(app_id));
  if (it == by_app_.end() || it->second.now == 0) return;
  --it->second.now;
  --total_;
}

std::int64_t ConnectionLedger::connections(std::string_view app_id) const {
  std::lock_guard lock(mutex_);
  auto it = by_app_.find(std::string(app_id));
  return it == by_app_.end() ? 0 : it->second.now;
}

std::int64_t ConnectionLedger::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::int64_t ConnectionLedger::take_peak(std::string_view app_id) {
  std::lock_guard lock(mutex_);
  auto it = by_app_.find(std::string(app_id));
  if (it == by_app_.end()) return 0;
  return std::exchange(it->second.peak, it->second.now);
}

}  // namespace pws::channels
