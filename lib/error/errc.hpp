// One table of every error pws reports: its Pusher close / error code, its
// subscription_error status and its HTTP status. Handlers never type these
// numbers inline; they name an Errc and look the numbers up here.
// Depends on nothing.
#pragma once

#include <string>
#include <string_view>

namespace pws {

enum class Errc : int {
  // connection-level (pusher:error + close)
  TlsRequired,          // 4000
  AppNotFound,          // 4001
  AppDisabled,          // 4003
  OverQuota,            // 4004
  PathNotFound,         // 4005
  UnsupportedProtocol,  // 4007
  NoProtocol,           // 4008
  Unauthorized,         // 4009
  OverCapacity,         // 4100
  Reconnect,            // 4200
  PongTimeout,          // 4201
  MessageTooBig,        // 1009 (WebSocket close code)
  // connection-level, connection kept open
  InvalidMessage,       // pusher:error code null
  ClientEventRejected,  // 4301
  ClientEventForbidden, // 4009 without close
  WatchlistTooLarge,    // 4302 without close
  // subscription_error
  AuthError,            // AuthError 401
  InvalidChannelName,   // InvalidChannelName 4009
  ChannelNameTooLong,   // LimitReached 4009
  PresenceFull,         // LimitReached 4100
  MemberTooLarge,       // LimitReached 4301
  TooManySubscriptions, // LimitReached 4100
  // HTTP API
  BadRequest,           // 400
  AuthFailed,           // 401
  Forbidden,            // 403
  NotFound,             // 404
  MethodNotAllowed,     // 405
  PayloadTooLarge,      // 413 (event data)
  RequestTooLarge,      // 413 (whole body)
  RateLimited,          // 429
  Internal,             // 500
  // configuration
  InvalidConfig,
  Io,
  // clients (the CLI)
  Unreachable,          // no answer from the server: refused, DNS, timeout, TLS
};

struct ErrcInfo {
  int code;                         ///< Pusher error/close code; 0 = null code
  std::string_view subscription_type; ///< subscription_error type, empty if n/a
  int subscription_status;          ///< subscription_error status
  int http_status;                  ///< status when it reaches the HTTP API
  std::string_view message;         ///< default human-readable message
};

/// The row of the table for `e`.
const ErrcInfo& info(Errc e) noexcept;

/// An error value: what went wrong, with a message meant for the user.
struct Error {
  Errc code;
  std::string message;
};

inline Error make_error(Errc e) { return Error{e, std::string(info(e).message)}; }
inline Error make_error(Errc e, std::string message) { return Error{e, std::move(message)}; }

}  // namespace pws
