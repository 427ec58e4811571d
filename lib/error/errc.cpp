#include "error/errc.hpp"

namespace pws {

const ErrcInfo& info(Errc e) noexcept {
  // Codes follow ../shared/docs/pusher-protocol.md section 2.10 (close codes),
  // 2.5 (subscription_error) and 5.1 (HTTP statuses).
  static const ErrcInfo table[] = {
      {4000, "", 0, 400, "Application only accepts TLS; reconnect with wss://"},
      {4001, "", 0, 404, "Application does not exist"},
      {4003, "", 0, 403, "Application disabled"},
      {4004, "", 0, 403, "Application is over connection quota"},
      {4005, "", 0, 404, "Path not found"},
      {4007, "", 0, 400, "Unsupported protocol version"},
      {4008, "", 0, 400, "No protocol version supplied"},
      {4009, "", 0, 401, "Connection is unauthorized"},
      {4100, "", 0, 503, "Over capacity"},
      {4200, "", 0, 503, "Server is shutting down, please reconnect"},
      {4201, "", 0, 408, "Pong reply not received"},
      {1009, "", 0, 413, "Message too big"},
      {0, "", 0, 400, "Invalid message format"},
      {4301, "", 0, 429, "Client event rejected"},
      {4009, "", 0, 403, "Client event rejected: not subscribed to a private or presence channel"},
      {4302, "", 0, 400, "Watchlist limit exceeded"},
      {0, "AuthError", 401, 401, "Invalid signature"},
      {0, "InvalidChannelName", 4009, 400, "Invalid channel name"},
      {0, "LimitReached", 4009, 400, "Channel name too long"},
      {0, "LimitReached", 4100, 400, "The presence channel has reached its member limit"},
      {0, "LimitReached", 4301, 400, "Presence member data too large"},
      {0, "LimitReached", 4100, 400, "Too many subscriptions on this connection"},
      {0, "", 0, 400, "Bad request"},
      {0, "", 0, 401, "Authentication failed"},
      {0, "", 0, 403, "Forbidden"},
      {0, "", 0, 404, "Not found"},
      {0, "", 0, 405, "Method not allowed"},
      {0, "", 0, 413, "Event data too large"},
      {0, "", 0, 413, "Request body too large"},
      {0, "", 0, 429, "Too many requests"},
      {0, "", 0, 500, "Internal server error"},
      {0, "", 0, 500, "Invalid configuration"},
      {0, "", 0, 500, "I/O error"},
      {0, "", 0, 503, "Server unreachable"},
  };
  static_assert(sizeof(table) / sizeof(table[0]) == static_cast<int>(Errc::Unreachable) + 1,
                "every Errc needs a row");
  return table[static_cast<int>(e)];
}

}  // namespace pws
