// The endpoints and the source address pool of source_pool.hpp.
#include "bench/source_pool.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <cstring>
#include <fstream>

namespace pws::bench {

Result<Endpoint> resolve_endpoint(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_family = AF_UNSPEC;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Error{Errc::Unreachable, "cannot resolve " + host + ": " + ::gai_strerror(rc)};
  }
  // Prefer IPv4: the source address spreading only exists there.
  const addrinfo* pick = found;
  for (const addrinfo* at = found; at; at = at->ai_next) {
    if (at->ai_family == AF_INET) {
      pick = at;
      break;
    }
  }
  Endpoint ep;
  std::memcpy(&ep.addr, pick->ai_addr, pick->ai_addrlen);
  ep.len = pick->ai_addrlen;
  ep.ipv6 = pick->ai_family == AF_INET6;
  ::freeaddrinfo(found);
  char text[INET6_ADDRSTRLEN] = {};
  if (ep.ipv6) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    v6->sin6_port = htons(port);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    ep.host_header = "[" + std::string(text) + "]:" + std::to_string(port);
  } else {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
    v4->sin_port = htons(port);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    ep.host_header = std::string(text) + ":" + std::to_string(port);
  }
  return ep;
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

SourcePool::SourcePool(const Endpoint& target, unsigned count)
    : spread_(!target.ipv6 && is_loopback(target) && count > 1), count_(count < 1 ? 1 : count) {}

unsigned long long SourcePool::capacity() const noexcept {
  return static_cast<unsigned long long>(ephemeral_port_count()) * size();
}

bool SourcePool::bind(int fd) {
  if (!spread_) return true;
  // Binding a source address before connect() would normally reserve an
  // ephemeral port per address regardless of destination; with
  // IP_BIND_ADDRESS_NO_PORT the port is picked at connect() time, so each
  // source address gives a full port range towards the server.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  src.sin_addr.s_addr = htonl((127u << 24) | (1 + next_));
  next_ = (next_ + 1) % count_;
  return ::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) == 0;
}

}  // namespace pws::bench
