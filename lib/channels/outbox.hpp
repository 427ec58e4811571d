// Outbox: the only way the hub reaches connections. The server implements it
// over libwebsockets; tests implement it by recording. Calls never re-enter
// the hub: sends are queued and closes take effect after the current call.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocol/frame.hpp"

namespace pws::channels {

/// Identifies a connection within one hub (never reused while it lives).
using ConnectionId = std::uint64_t;

class Outbox {
 public:
  virtual ~Outbox() = default;
  /// Queue `frame` for the connection (same Frame may go to many).
  virtual void send(ConnectionId to, const protocol::Frame& frame) = 0;
  /// Send a WebSocket protocol ping frame.
  virtual void ping(ConnectionId to) = 0;
  /// Close after the frames already queued have been written.
  virtual void close(ConnectionId to, int close_code, std::string_view reason) = 0;
};

}  // namespace pws::channels
