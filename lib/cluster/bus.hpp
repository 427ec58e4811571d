// Bus: how a ClusterNode reaches the other nodes of its cluster. Two
// transports: RedisBus (processes, possibly on several machines; issue 7)
// and LocalBus (the event loops of one process; issue 8). Both hand input to
// the loop through take(), and call `wake` when input is waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace pws::cluster {

/// What the transport hands to the loop, in order.
struct BusInput {
  enum class Kind { Message, Subscribed, Lost };
  Kind kind = Kind::Message;
  std::string payload;  ///< the message (Message), or why the link was lost (Lost)
};

struct BusFigures {
  bool subscribed = false;
  std::uint64_t reconnects = 0;
  std::uint64_t published = 0;
  std::uint64_t received = 0;
  std::uint64_t dropped = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  virtual void start() = 0;
  /// Stops the transport; messages already queued get up to `flush_deadline`.
  virtual void stop(std::chrono::milliseconds flush_deadline) = 0;
  /// Queues `message` for every other node (a transport may echo it back:
  /// the receiver ignores its own messages).
  virtual void publish(std::string message) = 0;
  /// Moves the waiting input to `out` (cleared first).
  virtual void take(std::vector<BusInput>& out) = 0;
  virtual BusFigures figures() const = 0;
};

}  // namespace pws::cluster
