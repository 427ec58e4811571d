// Custom WebSocket endpoints beside the Pusher one, for code that embeds the
// pws core as a library (laravel-websockets' WebSocketsRouter::webSocket).
// A handler sees open / message / close / error for each socket on its path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace pws::server {

/// A connection on a custom endpoint. Valid from on_open until on_close
/// returns; use it only on the server's loop thread.
class WebSocket {
 public:
  virtual ~WebSocket() = default;
  /// Unique per server while the socket lives.
  virtual std::uint64_t id() const = 0;
  /// The request path, e.g. "/chat".
  virtual const std::string& path() const = 0;
  /// Queue a text message (bounded like Pusher connections).
  virtual void send(std::string_view text) = 0;
  /// Close with a WebSocket status code after the queued messages.
  virtual void close(int code = 1000, std::string_view reason = {}) = 0;
};

class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  virtual void on_open(WebSocket&) {}
  virtual void on_message(WebSocket&, std::string_view /*text*/) {}
  virtual void on_close(WebSocket&, int /*code*/) {}
  /// Something went wrong for this socket (message too big, queue overflow).
  virtual void on_error(WebSocket&, std::string_view /*what*/) {}
};

}  // namespace pws::server
