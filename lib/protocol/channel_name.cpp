#include "protocol/channel_name.hpp"

#include "protocol/names.hpp"

namespace pws::protocol {

ChannelType classify_channel(std::string_view name) noexcept {
  using namespace names;
  if (name.starts_with(kServerToUserPrefix)) return {ChannelKind::ServerToUser, false};
  if (name.starts_with(kPrivateEncryptedCachePrefix)) return {ChannelKind::PrivateEncrypted, true};
  if (name.starts_with(kPrivateEncryptedPrefix)) return {ChannelKind::PrivateEncrypted, false};
  if (name.starts_with(kPrivateCachePrefix)) return {ChannelKind::Private, true};
  if (name.starts_with(kPrivatePrefix)) return {ChannelKind::Private, false};
  if (name.starts_with(kPresenceCachePrefix)) return {ChannelKind::Presence, true};
  if (name.starts_with(kPresencePrefix)) return {ChannelKind::Presence, false};
  if (name.starts_with(kCachePrefix)) return {ChannelKind::Public, true};
  return {ChannelKind::Public, false};
}

static bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '=' || c == '@' || c == ',' || c == '.' || c == ';';
}

ChannelNameCheck check_channel_name(std::string_view name, std::size_t max_length) noexcept {
  if (name.empty()) return {false, Errc::InvalidChannelName};
  std::string_view rest = name;
  if (name.front() == '#') {
    if (!name.starts_with(names::kServerToUserPrefix)) return {false, Errc::InvalidChannelName};
    rest = name.substr(names::kServerToUserPrefix.size());
    if (rest.empty()) return {false, Errc::InvalidChannelName};
  }
  for (char c : rest)
    if (!is_name_char(c)) return {false, Errc::InvalidChannelName};
  if (name.size() > max_length) return {false, Errc::ChannelNameTooLong};
  return {true, Errc::InvalidChannelName};
}

std::string_view server_to_user_id(std::string_view name) noexcept {
  if (!name.starts_with(names::kServerToUserPrefix)) return {};
  return name.substr(names::kServerToUserPrefix.size());
}

}  // namespace pws::protocol
