// Standard base64 (RFC 4648 section 4, with padding), for HTTP Basic
// credentials and, later, encrypted channels' master keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pws::crypto {

std::string base64_encode(std::string_view bytes);

/// The decoded bytes; nullopt when `text` is not canonical padded base64
/// (wrong length, a character outside the alphabet, misplaced '=').
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace pws::crypto
