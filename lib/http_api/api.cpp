// Api::handle: the order of checks of ../shared/docs/pusher-protocol.md 5.1
// (route -> app id -> signature -> app enabled -> parameters -> action) and
// the health endpoints. The body-size limit (413) is enforced by the server
// while it reads the body, before a Request exists.
#include "http_api/api.hpp"

#include <exception>
#include <optional>

#include "crypto/crypto.hpp"
#include "http_api/authenticate.hpp"
#include "http_api/route.hpp"
#include "http_api/routes.hpp"

namespace pws::http_api {

namespace {

Response text_response(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = "text/plain";
  return response;
}

}  // namespace

Api::Api(channels::Hub& hub, const channels::Clock& clock, ApiSettings settings)
    : hub_(hub), clock_(clock), settings_(std::move(settings)) {
  settings_.path_prefix = normalize_path_prefix(settings_.path_prefix);
}

Response Api::handle(const Request& request) {
  std::string app_id;
  Response response = dispatch(request, app_id, true);
  if (!app_id.empty()) shared_->count_request(app_id, response.status);
  return response;
}

Response Api::handle_preauthorized(const Request& request) {
  std::string app_id;
  Response response = dispatch(request, app_id, false);
  if (!app_id.empty()) shared_->count_request(app_id, response.status);
  return response;
}

void Api::Shared::count_request(const std::string& app_id, int status) {
  std::lock_guard lock(mutex);
  ++http_counts[{app_id, status}];
}

HttpCounts Api::http_counts() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->http_counts;
}

Response Api::metrics(const Request& request) {
  if (!settings_.metrics_enabled) return error_response(404, "Not found");
  const bool token_ok = !settings_.metrics_token.empty() &&
                        crypto::secrets_equal(request.authorization, "Bearer " + settings_.metrics_token);
  if (!request.from_loopback && !token_ok)
    return error_response(403, settings_.metrics_token.empty()
                                   ? "/metrics is open to loopback clients only; set [metrics] token to scrape it "
                                     "from elsewhere"
                                   : "/metrics needs the header Authorization: Bearer <[metrics] token>");
  std::optional<stats::WriterFigures> statistics;
  if (statistics_ && statistics_->enabled()) statistics = statistics_->writer_figures();
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = render_metrics(MetricsInput{hub_, http_counts(), read_process_figures(), statistics,
                                              settings_.version, webhook_figures_, cluster_figures_});
  return response;
}

Response Api::dispatch(const Request& request, std::string& counted_app_id, bool signature_required) {
  // Boost.JSON and the standard library may still throw (bad_alloc); this is
  // the module's edge, so nothing escapes towards the lws callback.
  try {
    const auto& prefix = settings_.path_prefix;
    std::string_view path = request.path;
    std::optional<Route> route;
    if (auto stripped = strip_path_prefix(request.path, prefix)) {
      path = *stripped;
      route = match_route(path);
    }
    // Health probes are often configured without knowing the API prefix, so
    // they also answer at the bare path.
    if (!route && !prefix.empty()) {
      if (auto bare = match_route(request.path); bare && is_health_route(bare->kind)) {
        path = request.path;
        route = std::move(bare);
      }
    }
    if (!route) return error_response(404, "Not found");
    if (!method_allowed(route->kind, request.method)) {
      auto response = error_response(405, "Method not allowed; use " +
                                              std::string(route_method(route->kind)));
      response.headers.emplace_back("Allow", std::string(route_method(route->kind)));
      return response;
    }

    switch (route->kind) {
      case RouteKind::Root:
      case RouteKind::Up:
        return text_response(200, "OK");
      case RouteKind::Ready:
        return draining_ ? text_response(503, "Draining") : text_response(200, "OK");
      case RouteKind::Metrics:
        return metrics(request);
      default:
        break;
    }

    // Hold the app by shared_ptr: a config reload may swap the directory.
    const auto app = hub_.apps().shared_by_id(route->app_id);
    if (!app) return error_response(404, "Unknown app id");
    counted_app_id = app->id;

    auto params = parse_query(request.query);
    if (!params) return error_from(params.error());
    const SignedRequest signed_request{request.method, request.path, path, request.query,
                                       request.body};
    if (signature_required) {
      if (auto auth = authenticate(*app, signed_request, *params, clock_.unix_seconds(),
                                   settings_.auth_timestamp_tolerance);
          !auth)
        return error_from(auth.error());
    }
    if (!app->enabled) return error_response(403, info(Errc::AppDisabled).message);

    // Reads are counted once the caller is known to be the app, so others
    // cannot spend its budget (5.1 order: signature, then limits).
    if (request.method == "GET" &&
        !shared_->reads.try_take(app->id, app->limits.max_read_req_per_sec, 1, clock_.monotonic_ms()))
      return rate_limited("max_read_req_per_sec", app->limits.max_read_req_per_sec);

    const RouteContext ctx{hub_, *app, request, *route, *params, statistics_, clock_, shared_->backend_events};
    switch (route->kind) {
      case RouteKind::Events:
        return handle_events(ctx);
      case RouteKind::BatchEvents:
        return handle_batch_events(ctx);
      case RouteKind::Channels:
        return handle_channels(ctx);
      case RouteKind::Channel:
        return handle_channel(ctx);
      case RouteKind::ChannelUsers:
        return handle_channel_users(ctx);
      case RouteKind::TerminateUserConnections:
        return handle_terminate_user_connections(ctx);
      case RouteKind::Statistics:
        return handle_statistics(ctx);
      default:
        PWS_ASSERT(false && "health routes are answered above");
        return error_response(500, info(Errc::Internal).message);
    }
  } catch (const std::exception&) {
    // No detail goes to the caller: it could describe server internals.
    return error_response(500, info(Errc::Internal).message);
  }
}

}  // namespace pws::http_api
