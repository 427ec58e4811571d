// Api: the Pusher HTTP API (section 5) and the health endpoints, as a pure
// function of a Request over the hub: routing, signature check, JSON bodies,
// limits. Never touches sockets.
#pragma once

#include <string>

#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "http_api/request.hpp"

namespace pws::http_api {

struct ApiSettings {
  std::string path_prefix;             ///< stripped before routing ("" = none)
  int auth_timestamp_tolerance = 600;  ///< seconds
};

class Api {
 public:
  Api(channels::Hub& hub, const channels::Clock& clock, ApiSettings settings);

  /// Handles GET /, /up, /ready and everything under /apps/{id}/.
  Response handle(const Request& request);

  /// While draining (graceful shutdown) /ready answers 503.
  void set_draining(bool draining) noexcept { draining_ = draining; }

 private:
  channels::Hub& hub_;
  const channels::Clock& clock_;
  ApiSettings settings_;
  bool draining_ = false;
};

}  // namespace pws::http_api
