// Routes under the dashboard's base B ({prefix}{path}):
//   GET B             -> 308 to B/ (the page's relative URLs need the slash)
//   GET B/            -> index.html;  GET B/<file> -> an embedded asset
//   B/api/apps                     -> the apps this access reaches
//   B/api/apps/{id}/feed           -> a freshly signed feed path
//   B/api/apps/{id}/{events|statistics|channels...} -> the HTTP API's route
// The protocol of the page and this API: docs in the README ("Dashboard").
#include "dashboard/dashboard.hpp"

#include <exception>

#include "dashboard/assets.hpp"
#include "error/errc.hpp"
#include "http_api/route.hpp"
#include "http_api/signing.hpp"
#include "protocol/json_text.hpp"

namespace pws::dashboard {

namespace {

/// The page may only load its own files and talk to its own server.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void add_security_headers(http_api::Response& response) {
  response.headers.emplace_back("Content-Security-Policy", kContentSecurityPolicy);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

http_api::Response method_not_allowed(std::string_view allowed) {
  auto response = http_api::error_response(405, "Method not allowed; use " + std::string(allowed));
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

bool is_get(const http_api::Request& request) { return request.method == "GET" || request.method == "HEAD"; }

/// The app routes the page may use, and the method each takes.
std::optional<std::string_view> forwarded_method(std::string_view rest) {
  if (rest == "events") return "POST";
  if (rest == "statistics" || rest == "channels" || rest.starts_with("channels/")) return "GET";
  return std::nullopt;
}

}  // namespace

Dashboard::Dashboard(channels::Hub& hub, http_api::Api& api, const channels::Clock& clock,
                     DashboardSettings settings)
    : hub_(hub), api_(api), clock_(clock), settings_(std::move(settings)) {
  settings_.path_prefix = http_api::normalize_path_prefix(settings_.path_prefix);
  base_ = settings_.path_prefix + settings_.path;
}

bool Dashboard::owns(std::string_view path) const {
  return path == base_ || (path.starts_with(base_) && path.size() > base_.size() && path[base_.size()] == '/');
}

http_api::Response Dashboard::handle(const http_api::Request& request) {
  http_api::Response response;
  try {
    const std::string_view path = request.path;
    if (path == base_) {
      if (!is_get(request)) {
        response = method_not_allowed("GET");
      } else {
        response.status = 308;
        response.content_type = "text/plain";
        response.body = "Moved to " + base_ + "/";
        response.headers.emplace_back("Location", base_ + "/");
      }
    } else {
      const std::string_view rest = path.substr(base_.size() + 1);
      if (rest.starts_with("api/"))
        response = serve_api(request, rest.substr(4));
      else
        response = serve_file(request, rest.empty() ? std::string_view("index.html") : rest);
    }
  } catch (const std::exception&) {
    response = http_api::error_response(500, info(Errc::Internal).message);
  }
  add_security_headers(response);
  return response;
}

http_api::Response Dashboard::serve_file(const http_api::Request& request, std::string_view name) const {
  if (!is_get(request)) return method_not_allowed("GET");
  const Asset* asset = find_asset(name);
  if (!asset) {
    if (name == "index.html") return http_api::error_response(500, "This pws was built without the dashboard page");
    return http_api::error_response(404, "Not found");
  }
  http_api::Response response;
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->body);
  // The files change only with the binary; revalidating costs little locally.
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

http_api::Response Dashboard::serve_api(const http_api::Request& request, std::string_view route) {
  auto response = [&]() -> http_api::Response {
    // Reloads run on this same thread, so the directory cannot change under us.
    const channels::AppDirectory& apps = hub_.apps();
    const Access access = decide_access(request, settings_.access, apps);
    if (!access.granted()) return http_api::error_response(401, access.refusal);
    if (request.method == "POST") {
      // A page elsewhere can make the browser POST here (cross-site request
      // forgery): refuse foreign origins, and ask for JSON, which browsers
      // only send cross-origin after a CORS preflight this server never grants.
      if (!same_origin(request)) return http_api::error_response(403, "Cross-origin requests are not allowed");
      if (!request.content_type.starts_with("application/json"))
        return http_api::error_response(415, "Content-Type must be application/json");
    }

    if (route == "apps") return is_get(request) ? list_apps(access) : method_not_allowed("GET");
    if (!route.starts_with("apps/")) return http_api::error_response(404, "Not found");
    const std::string_view after = route.substr(5);
    const auto slash = after.find('/');
    if (slash == std::string_view::npos) return http_api::error_response(404, "Not found");
    const std::string app_id = http_api::percent_decode(after.substr(0, slash));
    const std::string_view rest = after.substr(slash + 1);

    const channels::App* app = apps.find_by_id(app_id);
    if (!app) return http_api::error_response(404, "Unknown app id");
    if (!access.reaches(app->id)) return http_api::error_response(403, "These credentials do not open this app");

    if (rest == "feed") {
      if (!is_get(request)) return method_not_allowed("GET");
      // The upgrade would be refused with 403, which a browser only sees as
      // close code 1006; say it here so the page can stop retrying.
      if (!app->enabled) return http_api::error_response(403, info(Errc::AppDisabled).message);
      return feed_path(*app);
    }
    const auto method = forwarded_method(rest);
    if (!method) return http_api::error_response(404, "Not found");
    if (request.method != *method) return method_not_allowed(*method);

    http_api::Request forwarded = request;
    forwarded.path = settings_.path_prefix + "/apps/" + std::string(after.substr(0, slash)) + "/" + std::string(rest);
    return api_.handle_preauthorized(forwarded);
  }();
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

http_api::Response Dashboard::list_apps(const Access& access) const {
  std::string out = "{\"access\":";
  protocol::append_json_string(out, access.name());
  out += ",\"version\":";
  protocol::append_json_string(out, settings_.version);
  out += ",\"feed_data_limit\":" + std::to_string(settings_.feed_data_limit);
  out += ",\"apps\":[";
  bool first = true;
  for (const auto& app : hub_.apps().apps()) {
    if (!access.reaches(app->id)) continue;
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    protocol::append_json_string(out, app->id);
    out += ",\"name\":";
    protocol::append_json_string(out, app->name);
    out += ",\"key\":";
    protocol::append_json_string(out, app->key);
    out += ",\"enabled\":";
    out += app->enabled ? "true" : "false";
    out += '}';
  }
  out += "]}";
  http_api::Response response;
  response.body = std::move(out);
  return response;
}

http_api::Response Dashboard::feed_path(const channels::App& app) const {
  // Signed like `pws tail` signs it; valid for [server]
  // auth_timestamp_tolerance, so the page asks again for every connection.
  const std::string query = http_api::signed_query(app.key, app.secret, "GET", "/feed", "", clock_.unix_seconds(),
                                                   {{"app_id", app.id}});
  std::string out = "{\"path\":";
  protocol::append_json_string(out, settings_.path_prefix + "/feed?" + query);
  out += '}';
  http_api::Response response;
  response.body = std::move(out);
  return response;
}

}  // namespace pws::dashboard
