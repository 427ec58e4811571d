// Implementation of the fan-out bench helpers (see bench_support.hpp).
#include "bench_support.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pws::bench {

std::int64_t now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::optional<Endpoint> parse_endpoint(const std::string& host, std::uint16_t port) {
  Endpoint ep;
  const std::string numeric = host == "localhost" ? "127.0.0.1" : host;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
  if (inet_pton(AF_INET, numeric.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    ep.len = sizeof(sockaddr_in);
    ep.host_header = numeric + ":" + std::to_string(port);
    return ep;
  }
  std::string bare = numeric;
  if (bare.size() > 2 && bare.front() == '[' && bare.back() == ']') bare = bare.substr(1, bare.size() - 2);
  if (inet_pton(AF_INET6, bare.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    ep.len = sizeof(sockaddr_in6);
    ep.ipv6 = true;
    ep.host_header = "[" + bare + "]:" + std::to_string(port);
    return ep;
  }
  return std::nullopt;
}

bool is_loopback(const Endpoint& ep) {
  if (!ep.ipv6) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&ep.addr);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&ep.addr);
  if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) return true;
  // An IPv4-mapped loopback address reaches the same place as 127.x.y.z.
  return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && v6->sin6_addr.s6_addr[12] == 127;
}

unsigned ephemeral_port_count() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned lo = 0, hi = 0;
  if (in >> lo >> hi && hi >= lo) return hi - lo + 1;
  return 28232;  // the Linux default 32768..60999
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(std::uint8_t(bytes[i])) << 16) |
                            (std::uint32_t(std::uint8_t(bytes[i + 1])) << 8) |
                            std::uint32_t(std::uint8_t(bytes[i + 2]));
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2) v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string websocket_accept(std::string_view key) {
  // RFC 6455 section 4.2.2: base64(SHA-1(key + fixed GUID)). pws_crypto has
  // no SHA-1 (nothing in the server signs with it), so use OpenSSL directly;
  // it is already linked through pws_crypto.
  const std::string input = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  return base64_encode(std::string_view(reinterpret_cast<const char*>(digest), digest_len));
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

bool contains(std::string_view haystack, std::string_view needle) noexcept {
  return haystack.find(needle) != std::string_view::npos;
}

std::optional<long> read_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      long kb = 0;
      if (std::sscanf(line.c_str() + 6, "%ld", &kb) == 1) return kb;
    }
  }
  return std::nullopt;
}

std::optional<std::int64_t> read_cpu_us(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return std::nullopt;
  // The command name (field 2) may contain spaces; fields after it start
  // behind the last ')'. utime and stime are fields 14 and 15.
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(stat.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  long long utime = 0, stime = 0;
  if (!(fields >> utime >> stime)) return std::nullopt;
  const long ticks = sysconf(_SC_CLK_TCK);
  return (utime + stime) * 1'000'000 / (ticks > 0 ? ticks : 100);
}

std::int64_t self_cpu_us() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto us = [](const timeval& tv) { return std::int64_t(tv.tv_sec) * 1'000'000 + tv.tv_usec; };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

std::int64_t percentile(const std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::string ordinal(unsigned n) {
  const unsigned tens = n % 100;
  const char* suffix = "th";
  if (tens < 11 || tens > 13) {
    switch (n % 10) {
      case 1: suffix = "st"; break;
      case 2: suffix = "nd"; break;
      case 3: suffix = "rd"; break;
      default: break;
    }
  }
  return std::to_string(n) + suffix;
}

}  // namespace pws::bench
