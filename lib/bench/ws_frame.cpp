// The framing of ws_frame.hpp.
#include "bench/ws_frame.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "crypto/base64.hpp"

namespace pws::bench {

std::string websocket_accept(std::string_view key) {
  // RFC 6455 section 4.2.2: base64(SHA-1(key + fixed GUID)). pws_crypto has
  // no SHA-1 (nothing in the server signs with it), so use OpenSSL directly.
  const std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr) != 1) return {};
  return crypto::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), digest_len));
}

void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload,
                         std::uint32_t mask) {
  const std::uint64_t len = payload.size();
  out += static_cast<char>(0x80 | opcode);
  if (len < 126) {
    out += static_cast<char>(0x80 | len);
  } else if (len <= 0xFFFF) {
    out += static_cast<char>(0x80 | 126);
    out += static_cast<char>(len >> 8);
    out += static_cast<char>(len & 0xFF);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((len >> shift) & 0xFF);
  }
  const unsigned char key[4] = {static_cast<unsigned char>(mask >> 24),
                                static_cast<unsigned char>(mask >> 16),
                                static_cast<unsigned char>(mask >> 8),
                                static_cast<unsigned char>(mask)};
  out.append(reinterpret_cast<const char*>(key), 4);
  const std::size_t start = out.size();
  out.append(payload);
  for (std::size_t i = 0; i < payload.size(); ++i) out[start + i] ^= static_cast<char>(key[i & 3]);
}

HeaderStatus parse_frame_header(const unsigned char* p, std::size_t n, FrameHeader& h) {
  if (n < 2) return HeaderStatus::kIncomplete;
  h.fin = (p[0] & 0x80) != 0;
  h.opcode = p[0] & 0x0F;
  if ((p[0] & 0x70) != 0) return HeaderStatus::kInvalid;  // no extension was negotiated
  h.masked = (p[1] & 0x80) != 0;
  std::uint64_t len = p[1] & 0x7F;
  std::size_t pos = 2;
  if (len == 126) {
    if (n < 4) return HeaderStatus::kIncomplete;
    len = (std::uint64_t(p[2]) << 8) | p[3];
    pos = 4;
  } else if (len == 127) {
    if (n < 10) return HeaderStatus::kIncomplete;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    if (len >> 63) return HeaderStatus::kInvalid;
    pos = 10;
  }
  if (h.masked) {
    if (n < pos + 4) return HeaderStatus::kIncomplete;
    std::memcpy(h.mask, p + pos, 4);
    pos += 4;
  }
  // Control frames are never fragmented and carry at most 125 bytes.
  if ((h.opcode & 0x8) && (!h.fin || len > 125)) return HeaderStatus::kInvalid;
  h.payload_len = len;
  h.header_len = pos;
  return HeaderStatus::kComplete;
}

namespace {

// Skips the punctuation between a key and its number in either the escaped
// (`\":`) or the plain (`":`) spelling; returns the position of the digit.
std::size_t skip_to_number(std::string_view s, std::size_t pos) {
  for (int guard = 0; pos < s.size() && guard < 6; ++pos, ++guard) {
    const char c = s[pos];
    if (c >= '0' && c <= '9') return pos;
    if (c != '\\' && c != '"' && c != ':' && c != ' ') return std::string_view::npos;
  }
  return pos < s.size() && s[pos] >= '0' && s[pos] <= '9' ? pos : std::string_view::npos;
}

std::size_t parse_digits(std::string_view s, std::size_t pos, std::uint64_t& value) {
  value = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    value = value * 10 + static_cast<std::uint64_t>(s[pos] - '0');
    ++pos;
  }
  return pos;
}

}  // namespace

bool find_bench_event(std::string_view frame, std::uint64_t& seq, std::int64_t& sent_ns) {
  std::size_t from = 0;
  while (true) {
    const std::size_t key = frame.find("seq", from);
    if (key == std::string_view::npos) return false;
    from = key + 3;
    std::size_t pos = skip_to_number(frame, key + 3);
    if (pos == std::string_view::npos) continue;  // "seq" inside some other text
    pos = parse_digits(frame, pos, seq);
    // The `t` key follows within a few punctuation characters: `,\"t\":`.
    const std::size_t t_key = frame.substr(0, std::min(frame.size(), pos + 6)).find('t', pos);
    if (t_key == std::string_view::npos) continue;
    const std::size_t t_pos = skip_to_number(frame, t_key + 1);
    if (t_pos == std::string_view::npos) continue;
    std::uint64_t t = 0;
    parse_digits(frame, t_pos, t);
    sent_ns = static_cast<std::int64_t>(t);
    return true;
  }
}

}  // namespace pws::bench
