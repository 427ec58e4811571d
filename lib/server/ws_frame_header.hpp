// RFC 6455 5.2 framing of what the server sends: pws frames its own text
// frames where it writes several at once, or writes past lws.
#pragma once

#include <cstddef>

namespace pws::server {

/// The longest header: 2 bytes, then a 64-bit length.
inline constexpr std::size_t kMaxFrameHeader = 10;

/// Writes the header of an unmasked, final text frame of `length` bytes to
/// `out` (kMaxFrameHeader bytes of room) and returns its size.
inline std::size_t write_text_frame_header(unsigned char* out, std::size_t length) noexcept {
  out[0] = 0x81;  // FIN + text
  if (length < 126) {
    out[1] = static_cast<unsigned char>(length);
    return 2;
  }
  if (length < 65536) {
    out[1] = 126;
    out[2] = static_cast<unsigned char>(length >> 8);
    out[3] = static_cast<unsigned char>(length & 0xff);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<unsigned char>((length >> (56 - 8 * i)) & 0xff);
  return 10;
}

}  // namespace pws::server
