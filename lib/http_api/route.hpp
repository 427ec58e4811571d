// Routing of HTTP API paths (../shared/docs/pusher-protocol.md 5.5-5.10)
// and of the health endpoints. Pure string work; the handlers live in
// routes_*.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pws::http_api {

enum class RouteKind : unsigned char {
  Root,                      ///< GET /
  Up,                        ///< GET /up
  Ready,                     ///< GET /ready
  Events,                    ///< POST /apps/{id}/events
  BatchEvents,               ///< POST /apps/{id}/batch_events
  Channels,                  ///< GET /apps/{id}/channels
  Channel,                   ///< GET /apps/{id}/channels/{name}
  ChannelUsers,              ///< GET /apps/{id}/channels/{name}/users
  TerminateUserConnections,  ///< POST /apps/{id}/users/{user_id}/terminate_connections
  Statistics,                ///< GET /apps/{id}/statistics (pws: snapshots + current figures)
  Metrics,                   ///< GET /metrics (Prometheus text; not signed, see Api)
};

/// A matched route with its percent-decoded path segments.
struct Route {
  RouteKind kind = RouteKind::Root;
  std::string app_id;
  std::string channel;
  std::string user_id;
};

/// The route of `path` (prefix already removed, still percent-encoded, no
/// query); nullopt when nothing matches. One trailing '/' is tolerated.
std::optional<Route> match_route(std::string_view path);

/// The one method a route answers ("GET" or "POST"); health routes also
/// answer HEAD (see method_allowed).
std::string_view route_method(RouteKind kind) noexcept;
bool method_allowed(RouteKind kind, std::string_view method) noexcept;

/// Health routes carry no app and no signature.
bool is_health_route(RouteKind kind) noexcept;

/// "/pws/" -> "/pws", "pws" -> "/pws", "/" or "" -> "" (no prefix).
std::string normalize_path_prefix(std::string_view prefix);

/// `path` with `prefix` (normalised) removed: "/pws/apps/1" -> "/apps/1",
/// "/pws" -> "/". nullopt when the path is not under the prefix. With an
/// empty prefix every path is returned unchanged.
std::optional<std::string_view> strip_path_prefix(std::string_view path, std::string_view prefix);

}  // namespace pws::http_api
