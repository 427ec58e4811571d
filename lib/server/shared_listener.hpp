// SharedListener: with several event loops, each loop has its own listening
// socket on the same port (SO_REUSEPORT), and the kernel spreads incoming
// connections over them. Debian's lws 4.1 cannot open such a socket itself
// (toolchain.md section 3: it sets SO_REUSEPORT only with LWS_MAX_SMP > 1),
// so the context is created without a listener and this socket is adopted
// as a raw file: when it is readable, accept_pending() accepts and hands
// each connection to the vhost, where HTTP, TLS and upgrades run as usual.
#pragma once

#include <libwebsockets.h>

#include <string>

#include "error/result.hpp"

namespace pws::server {

/// A non-blocking listening socket with SO_REUSEPORT on `address` ("" =
/// every interface, IPv6 and IPv4) and `port` (0 = a free one).
Result<int> open_shared_listener(const std::string& address, int port);

/// The port a listening socket is bound to.
int bound_port(int fd);

/// Makes `listener` part of the vhost's loop (the "pws-listen" protocol).
Status adopt_listener(lws_vhost* vhost, int listener);

/// The "pws-listen" protocol's callback: accepts what is waiting.
int listener_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) noexcept;

inline constexpr const char* kListenerProtocol = "pws-listen";

}  // namespace pws::server
