// LocalBus: the cluster transport between the event loops of one process
// (issue 8). Each loop runs its own hub with its own connections; their
// ClusterNodes keep each other's state and forward events exactly as nodes
// joined through Redis do, but a message is handed straight to the other
// loops' inboxes (a string move under each inbox's mutex, then a wake-up).
//
// The bus carries one message per event, presence change or count change,
// never one per recipient: each loop delivers to its own subscribers with
// no lock.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cluster/bus.hpp"

namespace pws::cluster {

class LocalBus;

/// The loops of one process that hear each other; shared by their buses.
class LocalExchange {
 public:
  void join(LocalBus* member);
  void leave(LocalBus* member);
  /// Gives `message` to every member but `from`.
  void publish(const LocalBus* from, const std::string& message);

 private:
  std::mutex mutex_;  // members_ and, held while delivering, each member's lifetime
  std::vector<LocalBus*> members_;
};

class LocalBus final : public Bus {
 public:
  /// `wake` is called from other loops' threads when input is waiting
  /// (after the inbox went from empty to not empty); it must be thread-safe.
  LocalBus(std::shared_ptr<LocalExchange> exchange, std::function<void()> wake);
  ~LocalBus() override;
  LocalBus(const LocalBus&) = delete;
  LocalBus& operator=(const LocalBus&) = delete;

  void start() override;
  void stop(std::chrono::milliseconds flush_deadline) override;
  void publish(std::string message) override;
  void take(std::vector<BusInput>& out) override;
  BusFigures figures() const override;

  /// Called by the exchange, from the publisher's thread.
  void deliver(BusInput input);

 private:
  const std::shared_ptr<LocalExchange> exchange_;
  const std::function<void()> wake_;
  bool joined_ = false;  // loop thread only

  std::mutex mutex_;  // guards incoming_
  std::vector<BusInput> incoming_;
  // Set with the inbox non-empty: take() on an empty inbox costs one load.
  std::atomic<bool> waiting_{false};
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> received_{0};
};

}  // namespace pws::cluster
