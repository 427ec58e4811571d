// Parsing of client->server frames into typed events (sections 1.8, 1.9,
// 2.2, 2.3, 2.6, 2.9, 2.13). Pure: text in, ClientEvent or Error out.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "error/result.hpp"

namespace pws::protocol {

struct Subscribe {
  std::string channel;
  std::string auth;
  /// Exactly as received: it is part of the signed string (section 4.2).
  std::optional<std::string> channel_data;
};

struct Unsubscribe {
  std::string channel;
};

struct Ping {};
struct Pong {};

struct Signin {
  std::string auth;
  std::string user_data;
};

/// A `client-` event. `data` is already in relay form: the sender's string
/// unchanged, or any other JSON value as compact JSON text (section 2.9).
struct ClientTrigger {
  std::string event;
  std::string channel;
  std::string data;
};

/// Unknown `pusher:` / `pusher_internal:` events and names that are neither
/// protocol nor client events: ignored silently (section 1.9).
struct Ignored {
  std::string event;
};

using ClientEvent = std::variant<Subscribe, Unsubscribe, Ping, Pong, Signin, ClientTrigger, Ignored>;

/// Parses one frame. Errc::InvalidMessage when the text is not a JSON object
/// with a string `event`, or a subscribe/unsubscribe lacks a string channel.
Result<ClientEvent> parse_client_frame(std::string_view text);

}  // namespace pws::protocol
