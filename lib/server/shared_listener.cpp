#include "server/shared_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pws::server {

namespace {

// Enough to empty a burst, few enough that one loop's accepts do not starve
// its connections' reads.
constexpr int kAcceptsPerWakeup = 128;
constexpr int kBacklog = 4096;

Result<int> bind_listener(int family, const sockaddr* address, socklen_t length) {
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::Io, std::string("socket: ") + std::strerror(errno));
  const int on = 1, off = 0;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
    const int error = errno;
    ::close(fd);
    return make_error(Errc::Io, std::string("SO_REUSEPORT: ") + std::strerror(error));
  }
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  if (::bind(fd, address, length) != 0 || ::listen(fd, kBacklog) != 0) {
    const int error = errno;
    ::close(fd);
    return make_error(Errc::Io, std::strerror(error));
  }
  return fd;
}

}  // namespace

Result<int> open_shared_listener(const std::string& address, int port) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_port = htons(static_cast<std::uint16_t>(port));
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  v6.sin6_port = htons(static_cast<std::uint16_t>(port));
  if (address.empty()) {
    v6.sin6_addr = in6addr_any;
    if (auto fd = bind_listener(AF_INET6, reinterpret_cast<sockaddr*>(&v6), sizeof v6)) return fd;
    v4.sin_addr.s_addr = htonl(INADDR_ANY);  // no IPv6 on this host
    return bind_listener(AF_INET, reinterpret_cast<sockaddr*>(&v4), sizeof v4);
  }
  if (inet_pton(AF_INET, address.c_str(), &v4.sin_addr) == 1)
    return bind_listener(AF_INET, reinterpret_cast<sockaddr*>(&v4), sizeof v4);
  if (inet_pton(AF_INET6, address.c_str(), &v6.sin6_addr) == 1)
    return bind_listener(AF_INET6, reinterpret_cast<sockaddr*>(&v6), sizeof v6);
  return make_error(Errc::Io, "not an address: " + address);
}

int bound_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
}

Status adopt_listener(lws_vhost* vhost, int listener) {
  lws_sock_file_fd_type descriptor;
  descriptor.filefd = listener;
  if (!lws_adopt_descriptor_vhost(vhost, LWS_ADOPT_RAW_FILE_DESC, descriptor, kListenerProtocol, nullptr))
    return make_error(Errc::Io, "cannot watch the listening socket");
  return Ok{};
}

int listener_callback(lws* wsi, lws_callback_reasons reason, void*, void*, std::size_t) noexcept {
  if (reason != LWS_CALLBACK_RAW_RX_FILE) return 0;
  const int listener = lws_get_socket_fd(wsi);
  lws_vhost* vhost = lws_get_vhost(wsi);
  for (int i = 0; i < kAcceptsPerWakeup; ++i) {
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        // EMFILE and the like: said once, retried at the next wake-up.
        static std::atomic<bool> warned{false};
        if (!warned.exchange(true)) std::fprintf(stderr, "pws: warning: accept: %s\n", std::strerror(errno));
      }
      break;
    }
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    lws_adopt_socket_vhost(vhost, fd);  // on failure lws closes the socket itself
  }
  return 0;
}

}  // namespace pws::server
