// The client side of RFC 6455 framing as the bench needs it: masked frames
// out, unmasked frames in, the Sec-WebSocket-Accept check, and the scan that
// finds a benchmark event ({"seq":N,"t":T}) in a frame without parsing JSON.
// Nothing here allocates per delivered frame. Depends on crypto (base64) and
// OpenSSL (SHA-1) only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pws::bench {

/// Tiny xorshift generator for WebSocket masking keys: the bench masks a
/// handful of frames per connection, and OpenSSL per frame would be wasted.
class MaskSource {
 public:
  explicit MaskSource(std::uint64_t seed) noexcept : state_(seed | 1) {}
  std::uint32_t next() noexcept {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<std::uint32_t>(state_ >> 16);
  }

 private:
  std::uint64_t state_;
};

enum Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

/// The Sec-WebSocket-Accept value the server must return for `key`.
std::string websocket_accept(std::string_view key);

/// Appends one complete (FIN) masked client frame to `out`.
void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload, std::uint32_t mask);

struct FrameHeader {
  bool fin = false;
  std::uint8_t opcode = 0;
  bool masked = false;  ///< servers must not mask, but unmasking is cheap
  std::uint8_t mask[4] = {0, 0, 0, 0};
  std::uint64_t payload_len = 0;
  std::size_t header_len = 0;
};

enum class HeaderStatus { kComplete, kIncomplete, kInvalid };

/// Decodes the frame header at `data` (7-, 16- and 64-bit lengths).
HeaderStatus parse_frame_header(const unsigned char* data, std::size_t size, FrameHeader& out);

/// Finds the benchmark payload `{"seq":N,"t":T}` inside a text frame. The data
/// field arrives JSON-escaped (`{\"seq\":N,...}`), so the scan skips quotes,
/// backslashes and colons after the key instead of matching one spelling.
/// False when the frame is not a benchmark event.
bool find_bench_event(std::string_view frame, std::uint64_t& seq, std::int64_t& sent_ns);

inline bool contains(std::string_view haystack, std::string_view needle) noexcept {
  return haystack.find(needle) != std::string_view::npos;
}

}  // namespace pws::bench
