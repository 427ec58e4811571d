// The handlers behind each HTTP API route. Api::handle has already matched
// the route, found the app, checked the signature and that the app is
// enabled; a handler only validates its parameters and acts on the hub
// (order of checks: ../shared/docs/pusher-protocol.md 5.1).
#pragma once

#include <string>
#include <vector>

#include "channels/hub.hpp"
#include "error/errc.hpp"
#include "http_api/rate_limiter.hpp"
#include "http_api/request.hpp"
#include "http_api/route.hpp"
#include "http_api/signing.hpp"
#include "http_api/statistics_source.hpp"

namespace pws::http_api {

/// Everything a route handler may look at.
struct RouteContext {
  channels::Hub& hub;
  const channels::App& app;
  const Request& request;
  const Route& route;
  const std::vector<QueryParam>& params;  ///< decoded query
  StatisticsSource* statistics;           ///< null = statistics off
  const channels::Clock& clock;
  RateLimiter& backend_events;            ///< max_backend_events_per_sec
};

/// 429 naming the limit that was hit; the budget refills every second.
Response rate_limited(std::string_view limit_name, int limit);

// routes_events.cpp
Response handle_events(const RouteContext& ctx);
Response handle_batch_events(const RouteContext& ctx);
// routes_channels.cpp
Response handle_channels(const RouteContext& ctx);
Response handle_channel(const RouteContext& ctx);
Response handle_channel_users(const RouteContext& ctx);
// routes_users.cpp
Response handle_terminate_user_connections(const RouteContext& ctx);
// routes_statistics.cpp
Response handle_statistics(const RouteContext& ctx);

/// 200 with a JSON object body.
inline Response json_ok(std::string body) {
  Response response;
  response.body = std::move(body);
  return response;
}

/// The error body with the HTTP status of error.code from the Errc table.
inline Response error_from(const Error& error) {
  return error_response(info(error.code).http_status, error.message);
}

}  // namespace pws::http_api
