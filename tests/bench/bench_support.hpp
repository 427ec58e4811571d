// Small, dependency-free helpers for the fan-out load generator: the clock,
// loopback address checks, the client side of RFC 6455 framing (masked
// frames out, unmasked frames in), the scan that finds a benchmark event in a
// frame without parsing JSON, /proc readers for the server's RSS and CPU
// time, and percentiles. Nothing here allocates per delivered frame.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pws::bench {

/// CLOCK_MONOTONIC in nanoseconds: the same clock the trigger stamps into each
/// event and the receiver reads, so latency needs no clock synchronisation.
std::int64_t now_ns() noexcept;

/// A parsed numeric IPv4/IPv6 address ("localhost" means 127.0.0.1).
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool ipv6 = false;
  std::string host_header;  // "127.0.0.1:6001" or "[::1]:6001"
};

/// Parses `host` and `port`; nullopt when `host` is not a numeric address.
std::optional<Endpoint> parse_endpoint(const std::string& host, std::uint16_t port);

/// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z: the only load targets
/// this tool accepts (the machines are shared; see docs/benchmarking.md).
bool is_loopback(const Endpoint& endpoint);

/// Size of the kernel's ephemeral port range (ports per source address and
/// destination), or 28232 when /proc cannot be read.
unsigned ephemeral_port_count();

std::string base64_encode(std::string_view bytes);

/// The Sec-WebSocket-Accept value the server must return for `key`.
std::string websocket_accept(std::string_view key);

/// Tiny xorshift generator for WebSocket masking keys; the bench only masks a
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

/// Appends one complete (FIN) masked client frame to `out`.
void append_client_frame(std::string& out, std::uint8_t opcode, std::string_view payload,
                         std::uint32_t mask);

struct FrameHeader {
  bool fin = false;
  std::uint8_t opcode = 0;
  bool masked = false;  // servers must not mask, but unmasking is cheap
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
/// Returns false when the frame is not a benchmark event.
bool find_bench_event(std::string_view frame, std::uint64_t& seq, std::int64_t& sent_ns);

bool contains(std::string_view haystack, std::string_view needle) noexcept;

/// VmRSS of /proc/<pid>/status in KB, nullopt when unreadable.
std::optional<long> read_rss_kb(pid_t pid);

/// utime+stime of /proc/<pid>/stat in microseconds, nullopt when unreadable.
std::optional<std::int64_t> read_cpu_us(pid_t pid);

/// This process's user+system CPU time in microseconds.
std::int64_t self_cpu_us();

/// Nearest-rank percentile (q in [0,1]) of an ascending-sorted vector.
std::int64_t percentile(const std::vector<std::int64_t>& sorted, double q);

/// "1st", "2nd", "50th": for the latency_sample description.
std::string ordinal(unsigned n);

}  // namespace pws::bench
