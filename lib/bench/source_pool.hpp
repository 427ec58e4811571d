// Where the bench's sockets go and come from: a target endpoint (resolved
// once, numeric), the loopback check that keeps a load generator off other
// machines, and the pool of source addresses 127.0.0.1 ... 127.0.0.K that
// the client sockets are spread over. Each source address has its own
// ephemeral port range towards one destination (~28,000 ports here), so K
// addresses hold K times as many connections: 50,000 need K >= 2.
// Depends on POSIX sockets only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "error/result.hpp"

namespace pws::bench {

struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool ipv6 = false;
  std::string host_header;  ///< "127.0.0.1:6001" or "[::1]:6001"
  std::string path_prefix;  ///< "" or "/x": the server's [server] path_prefix
};

/// `host` (a name or a numeric address; the first address getaddrinfo gives)
/// and `port`. Errc::Unreachable when the name does not resolve.
Result<Endpoint> resolve_endpoint(const std::string& host, std::uint16_t port);

/// True for 127.0.0.0/8, ::1 and ::ffff:127.x.y.z: the only targets the bench
/// accepts without --allow-remote (the machines are shared).
bool is_loopback(const Endpoint& endpoint);

/// Size of the kernel's ephemeral port range, or 28232 when /proc cannot be read.
unsigned ephemeral_port_count();

/// Binds client sockets to 127.0.0.1 ... 127.0.0.K in turn before they
/// connect. Only for IPv4 loopback targets; otherwise bind() does nothing.
class SourcePool {
 public:
  SourcePool(const Endpoint& target, unsigned count);

  /// Source addresses in use (1 when spreading does not apply).
  unsigned size() const noexcept { return spread_ ? count_ : 1; }

  /// Connections that fit in the ephemeral ports of the pool.
  unsigned long long capacity() const noexcept;

  /// Binds `fd` to the next source address with IP_BIND_ADDRESS_NO_PORT, so
  /// the port is chosen at connect() time per destination. errno-style
  /// failure: false with errno set.
  bool bind(int fd);

 private:
  bool spread_;
  unsigned count_;
  unsigned next_ = 0;
};

}  // namespace pws::bench
