// Channel names: what kind of channel a name denotes and whether it is valid
// (../shared/docs/pusher-protocol.md section 3). Pure; no I/O.
#pragma once

#include <cstddef>
#include <string_view>

#include "error/errc.hpp"

namespace pws::protocol {

enum class ChannelKind : unsigned char {
  Public,
  Private,
  PrivateEncrypted,
  Presence,
  ServerToUser,
};

struct ChannelType {
  ChannelKind kind = ChannelKind::Public;
  bool cache = false;

  bool needs_auth() const noexcept {
    return kind == ChannelKind::Private || kind == ChannelKind::PrivateEncrypted ||
           kind == ChannelKind::Presence;
  }
  bool is_presence() const noexcept { return kind == ChannelKind::Presence; }
  /// Client events are relayed only on private and presence channels (2.9).
  /// Encrypted channels refuse them (issue 6): their payloads are meant to
  /// come encrypted by the server SDK, and no client library can send them.
  bool allows_client_events() const noexcept {
    return kind == ChannelKind::Private || kind == ChannelKind::Presence;
  }
  bool is_user_channel() const noexcept { return kind == ChannelKind::ServerToUser; }
};

/// The type of `name` by the first matching prefix of section 3.1.
ChannelType classify_channel(std::string_view name) noexcept;

/// Errc::InvalidChannelName for an empty name, a character outside
/// [A-Za-z0-9_\-=@,.;] or a '#' name other than #server-to-user-<id>;
/// Errc::ChannelNameTooLong above `max_length`. Returns nullopt-like Errc
/// via `valid` when the name is acceptable.
struct ChannelNameCheck {
  bool valid;
  Errc error;
};
ChannelNameCheck check_channel_name(std::string_view name, std::size_t max_length) noexcept;

/// The user id of a #server-to-user-<id> channel (empty for other names).
std::string_view server_to_user_id(std::string_view name) noexcept;

}  // namespace pws::protocol
