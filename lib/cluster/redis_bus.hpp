// RedisBus: one Redis pub/sub channel shared by the nodes of a cluster, on
// two threads of its own so the event loop never waits for Redis. The
// subscriber thread reads the channel and hands each message to the loop
// (take()); the publisher thread sends what the loop queued (publish()),
// pipelined. Both reconnect with backoff (0.1 s doubling to 5 s) whenever
// Redis goes away, and the bus says so on stderr once per outage.
//
// Messages published while Redis is away wait in a bounded queue; beyond
// kMaxQueuedMessages the oldest are dropped and counted.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cluster/bus.hpp"

struct redisContext;

namespace pws::cluster {

struct RedisEndpoint {
  std::string host;
  int port = 6379;
  std::string username;  ///< "" = AUTH with the password alone
  std::string password;  ///< "" = no AUTH; never logged
  int database = 0;
};

class RedisBus final : public Bus {
 public:
  static constexpr std::size_t kMaxQueuedMessages = 100'000;

  /// `wake` is called from the subscriber thread when input is waiting
  /// (after the queue went from empty to not empty); it must be thread-safe.
  RedisBus(RedisEndpoint endpoint, std::string channel, std::function<void()> wake);
  ~RedisBus() override;
  RedisBus(const RedisBus&) = delete;
  RedisBus& operator=(const RedisBus&) = delete;

  void start() override;
  /// Stops both threads; messages already queued get up to `flush_deadline`
  /// to go out.
  void stop(std::chrono::milliseconds flush_deadline) override;

  /// Queues `message` for every node subscribed to the channel (this one too:
  /// Redis echoes it; the receiver ignores its own messages).
  void publish(std::string message) override;
  /// Moves the waiting input to `out` (cleared first).
  void take(std::vector<BusInput>& out) override;

  BusFigures figures() const override;
  const std::string& channel() const noexcept { return channel_; }
  std::string address() const;

 private:
  void subscriber_main();
  void publisher_main();
  /// Connects, authenticates and selects the database; nullptr with `error` set on failure.
  redisContext* connect(std::string& error) const;
  /// Waits up to `delay` or until stop; false when stopping.
  bool pause(std::chrono::milliseconds delay);
  void deliver(BusInput input);

  const RedisEndpoint endpoint_;
  const std::string channel_;
  const std::function<void()> wake_;

  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // guards everything below it
  std::condition_variable changed_;
  std::deque<std::string> outgoing_;
  std::vector<BusInput> incoming_;
  redisContext* subscriber_context_ = nullptr;  // shut down by stop() to end a blocking read
  std::chrono::steady_clock::time_point flush_deadline_{};

  std::atomic<bool> subscribed_{false};
  // Set when the subscriber lost its connection: the publisher's, idle
  // meanwhile, is likely dead too but would only find out by losing the
  // next batch (the hello that follows a reconnection, say).
  std::atomic<bool> publisher_reset_{false};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> published_{0};
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> dropped_{0};

  std::thread subscriber_;
  std::thread publisher_;
};

}  // namespace pws::cluster
