#include "channels/shared_counters.hpp"

#include "channels/hub.hpp"

namespace pws::channels {

AtomicAppCounters& SharedCounters::of(std::string_view app_id) {
  std::lock_guard lock(mutex_);
  auto& slot = by_app_[std::string(app_id)];
  if (!slot) slot = std::make_unique<AtomicAppCounters>();
  return *slot;
}

void SharedCounters::read(std::string_view app_id, AppCounters& into) const {
  std::lock_guard lock(mutex_);
  auto it = by_app_.find(std::string(app_id));
  if (it == by_app_.end()) return;
  const AtomicAppCounters& c = *it->second;
  constexpr auto relaxed = std::memory_order_relaxed;
  into.connections_opened = c.connections_opened.load(relaxed);
  into.websocket_messages_in = c.websocket_messages_in.load(relaxed);
  into.bytes_in = c.bytes_in.load(relaxed);
  into.api_messages = c.api_messages.load(relaxed);
  into.messages_out = c.messages_out.load(relaxed);
  into.bytes_out = c.bytes_out.load(relaxed);
}

}  // namespace pws::channels
