// WsClient: a small blocking-style WebSocket client for the CLI (pws tail),
// on a libwebsockets client context of its own. connect() returns once the
// upgrade succeeded or failed; run() then delivers every complete text
// message until the connection ends or stop() is called. Single-threaded:
// only stop() may be called from elsewhere (another thread or a signal
// handler).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/http_client.hpp"
#include "client/url.hpp"
#include "error/result.hpp"

namespace pws::client {

/// Why connect() failed.
struct WsConnectError {
  /// The HTTP status of a refused upgrade (401, 404, ...); 0 when there was
  /// no answer (refused, DNS, timeout, TLS) or it was not an HTTP status.
  int status = 0;
  /// Errc::Unreachable when there was no answer; otherwise Errc::Io.
  Errc code = Errc::Unreachable;
  std::string message;
};

/// How run() ended.
struct WsEnd {
  bool stopped = false;  ///< stop() was called
  int close_code = 0;    ///< the peer's close code (0 = none: the connection dropped)
  std::string reason;    ///< the peer's close reason, or what went wrong
};

class WsClient {
 public:
  WsClient(Url server, TransportOptions options);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  /// Connects to `target` (the path, with the URL's prefix, and query) and
  /// completes the WebSocket upgrade within the transport timeout; nullopt
  /// once the connection is open. Any previous connection is dropped first.
  /// After stop() it fails at once (check stopped()).
  std::optional<WsConnectError> connect(const std::string& target);

  /// Delivers each complete message (fragments assembled) to `on_message`
  /// until the connection ends or stop() is called.
  WsEnd run(const std::function<void(std::string_view)>& on_message);

  /// Ends connect() and run() soon. Async-signal-safe.
  void stop() noexcept;
  bool stopped() const noexcept { return stop_.load(); }

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> stop_{false};
};

}  // namespace pws::client
