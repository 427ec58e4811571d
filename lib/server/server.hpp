// Server: pws serve. Owns the libwebsockets context (one vhost, one port for
// WebSockets, the HTTP API and health checks, optional TLS), the hub and the
// timers. This module is the only one that includes <libwebsockets.h>.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "error/result.hpp"
#include "registry/config.hpp"
#include "server/websocket_route.hpp"

namespace pws::server {

struct ServerImpl;

class Server {
 public:
  explicit Server(registry::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Registers a custom WebSocket endpoint at `path` (exact match, after the
  /// configured path prefix). Call before start(), which refuses custom
  /// endpoints with more than one event loop.
  void add_websocket_route(std::string path, std::shared_ptr<WebSocketHandler> handler);

  /// Creates the context and binds the port. After success port() is valid.
  Status start();
  int port() const;

  /// Serves until stop() or SIGINT/SIGTERM, then shuts down gracefully
  /// (pusher:error 4200 to every client). Returns the process exit status.
  int run();

  /// Asks run() to shut down; safe from any thread (signals go through run()'s own handler).
  void stop() noexcept;

 private:
  std::vector<std::unique_ptr<ServerImpl>> loops_;  // [server] event_loops; loop 0 runs on run()'s thread
};

}  // namespace pws::server
