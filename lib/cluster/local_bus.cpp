#include "cluster/local_bus.hpp"

#include <algorithm>

namespace pws::cluster {

void LocalExchange::join(LocalBus* member) {
  std::lock_guard lock(mutex_);
  members_.push_back(member);
}

void LocalExchange::leave(LocalBus* member) {
  std::lock_guard lock(mutex_);
  members_.erase(std::remove(members_.begin(), members_.end(), member), members_.end());
}

void LocalExchange::publish(const LocalBus* from, const std::string& message) {
  std::lock_guard lock(mutex_);
  for (LocalBus* member : members_)
    if (member != from) member->deliver(BusInput{BusInput::Kind::Message, message});
}

LocalBus::LocalBus(std::shared_ptr<LocalExchange> exchange, std::function<void()> wake)
    : exchange_(std::move(exchange)), wake_(std::move(wake)) {}

LocalBus::~LocalBus() { stop(std::chrono::milliseconds(0)); }

void LocalBus::start() {
  if (joined_) return;
  joined_ = true;
  exchange_->join(this);
  // Like a Redis subscription coming up: the node says hello.
  deliver(BusInput{BusInput::Kind::Subscribed, {}});
}

void LocalBus::stop(std::chrono::milliseconds) {
  // Delivery is synchronous, so nothing of ours is still in flight.
  if (!joined_) return;
  joined_ = false;
  exchange_->leave(this);
}

void LocalBus::publish(std::string message) {
  if (!joined_) return;
  published_.fetch_add(1, std::memory_order_relaxed);
  exchange_->publish(this, message);
}

void LocalBus::deliver(BusInput input) {
  const bool input_is_message = input.kind == BusInput::Kind::Message;
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = incoming_.empty();
    incoming_.push_back(std::move(input));
    waiting_.store(true, std::memory_order_release);
  }
  if (input_is_message) received_.fetch_add(1, std::memory_order_relaxed);
  if (was_empty && wake_) wake_();
}

void LocalBus::take(std::vector<BusInput>& out) {
  out.clear();
  if (!waiting_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(mutex_);
  out.swap(incoming_);
  waiting_.store(false, std::memory_order_relaxed);
}

BusFigures LocalBus::figures() const {
  return BusFigures{joined_, 0, published_.load(std::memory_order_relaxed),
                    received_.load(std::memory_order_relaxed), 0};
}

}  // namespace pws::cluster
