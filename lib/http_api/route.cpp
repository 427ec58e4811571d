// Path matching for the HTTP API. Segments are split on '/' before they are
// percent-decoded, so an encoded "%2F" inside a channel name stays part of
// the name (and then fails channel-name validation with 400).
#include "http_api/route.hpp"

#include <vector>

#include "http_api/signing.hpp"

namespace pws::http_api {

namespace {

/// Splits "/a/b/c" into decoded segments; nullopt for a path that does not
/// start with '/' or has an empty segment in the middle ("/apps//events").
std::optional<std::vector<std::string>> split_segments(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::vector<std::string> segments;
  if (path.empty()) return segments;
  std::size_t start = 0;
  while (true) {
    const auto slash = path.find('/', start);
    const auto piece = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (piece.empty()) return std::nullopt;
    segments.push_back(percent_decode(piece));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

}  // namespace

std::optional<Route> match_route(std::string_view path) {
  auto split = split_segments(path);
  if (!split) return std::nullopt;
  auto& s = *split;
  auto route = [](RouteKind kind) { return Route{kind, {}, {}, {}}; };

  if (s.empty()) return route(RouteKind::Root);
  if (s.size() == 1 && s[0] == "up") return route(RouteKind::Up);
  if (s.size() == 1 && s[0] == "ready") return route(RouteKind::Ready);
  if (s.size() == 1 && s[0] == "metrics") return route(RouteKind::Metrics);
  if (s.size() < 3 || s[0] != "apps") return std::nullopt;

  Route r;
  r.app_id = std::move(s[1]);
  const auto& resource = s[2];
  if (s.size() == 3 && resource == "events") {
    r.kind = RouteKind::Events;
  } else if (s.size() == 3 && resource == "batch_events") {
    r.kind = RouteKind::BatchEvents;
  } else if (resource == "channels" && s.size() == 3) {
    r.kind = RouteKind::Channels;
  } else if (resource == "channels" && s.size() == 4) {
    r.kind = RouteKind::Channel;
    r.channel = std::move(s[3]);
  } else if (resource == "channels" && s.size() == 5 && s[4] == "users") {
    r.kind = RouteKind::ChannelUsers;
    r.channel = std::move(s[3]);
  } else if (s.size() == 3 && resource == "statistics") {
    r.kind = RouteKind::Statistics;
  } else if (resource == "users" && s.size() == 5 && s[4] == "terminate_connections") {
    r.kind = RouteKind::TerminateUserConnections;
    r.user_id = std::move(s[3]);
  } else {
    return std::nullopt;
  }
  return r;
}

std::string_view route_method(RouteKind kind) noexcept {
  switch (kind) {
    case RouteKind::Events:
    case RouteKind::BatchEvents:
    case RouteKind::TerminateUserConnections:
      return "POST";
    default:
      return "GET";
  }
}

bool method_allowed(RouteKind kind, std::string_view method) noexcept {
  if (method == route_method(kind)) return true;
  // Load balancers probe health with HEAD as often as with GET.
  return is_health_route(kind) && method == "HEAD";
}

bool is_health_route(RouteKind kind) noexcept {
  return kind == RouteKind::Root || kind == RouteKind::Up || kind == RouteKind::Ready;
}

std::string normalize_path_prefix(std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty()) return {};
  std::string out;
  if (prefix.front() != '/') out.push_back('/');
  out.append(prefix);
  return out;
}

std::optional<std::string_view> strip_path_prefix(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return path;
  if (!path.starts_with(prefix)) return std::nullopt;
  const auto rest = path.substr(prefix.size());
  if (rest.empty()) return std::string_view("/");
  if (rest.front() != '/') return std::nullopt;  // "/pwsx" is not under "/pws"
  return rest;
}

}  // namespace pws::http_api
