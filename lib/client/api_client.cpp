// ApiClient: signed Pusher HTTP API requests, and resolve_credentials, the
// CLI's rule for which app it acts for.
#include "client/api_client.hpp"

#include <ctime>

namespace pws::client {

namespace {

std::string registry_name(const registry::Config& config) {
  return config.source.empty() ? std::string("the registry (no config file found)") : config.source.string();
}

Credentials from_app(const channels::App& app, const registry::Config& config) {
  return Credentials{app.id, app.key, app.secret, registry_name(config), false};
}

/// "/apps/1/channels/a b" -> "/apps/1/channels/a%20b": each segment encoded.
std::string encode_segments(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    out += http_api::percent_encode(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
  return out;
}

}  // namespace

std::string describe_apps(const registry::Config& config) {
  std::string out;
  for (const auto& app : config.apps) {
    if (!out.empty()) out += ", ";
    out += app.id;
    if (!app.name.empty() && app.name != app.id) out += " (" + app.name + ")";
  }
  return out;
}

Result<Credentials> resolve_credentials(const std::optional<std::string>& app_flag, const registry::Config& config) {
  const std::string where = registry_name(config);
  const std::string known = describe_apps(config);
  if (app_flag) {
    const std::string& wanted = *app_flag;
    if (wanted.empty()) return make_error(Errc::BadRequest, "--app needs an app id or name");
    for (const auto& app : config.apps)
      if (app.id == wanted) return from_app(app, config);
    std::vector<const channels::App*> named;
    for (const auto& app : config.apps)
      if (app.name == wanted) named.push_back(&app);
    if (named.size() == 1) return from_app(*named.front(), config);
    if (named.size() > 1) {
      std::string ids;
      for (const auto* app : named) ids += (ids.empty() ? "" : ", ") + app->id;
      return make_error(Errc::BadRequest, "several apps are named \"" + wanted + "\" in " + where +
                                              ": choose one by id (" + ids + ")");
    }
    return make_error(Errc::BadRequest, "no app \"" + wanted + "\" in " + where +
                                            (known.empty() ? " (it has no apps)" : "; known apps: " + known));
  }

  auto env = registry::app_from_environment();
  if (!env) return make_error(Errc::BadRequest, env.error().message);
  if (*env) {
    const auto& app = **env;
    return Credentials{app.id, app.key, app.secret, "PUSHER_APP_ID/PUSHER_APP_KEY/PUSHER_APP_SECRET", true};
  }
  if (config.apps.size() == 1) return from_app(config.apps.front(), config);
  if (config.apps.empty())
    return make_error(Errc::BadRequest,
                      config.source.empty()
                          ? "no app to act for: no config file found and PUSHER_APP_ID, PUSHER_APP_KEY and "
                            "PUSHER_APP_SECRET are not set"
                          : "no app to act for: " + where + " has no apps and PUSHER_APP_ID, PUSHER_APP_KEY and "
                                                            "PUSHER_APP_SECRET are not set");
  return make_error(Errc::BadRequest, where + " has " + std::to_string(config.apps.size()) +
                                          " apps: choose one with --app (" + known + ")");
}

ApiClient::ApiClient(Url server, Credentials credentials, TransportOptions options)
    : server_(std::move(server)), credentials_(std::move(credentials)), options_(std::move(options)) {}

std::string ApiClient::path(std::string_view resource) const {
  std::string out = "/apps/" + credentials_.app_id;
  if (!resource.empty()) {
    out.push_back('/');
    out.append(resource);
  }
  return out;
}

Result<HttpResponse> ApiClient::request(std::string_view method, std::string_view resource,
                                        std::vector<http_api::QueryParam> params, std::string_view body) const {
  // Signed over the decoded path without the server's prefix, like the SDKs
  // (5.2); sent percent-encoded under the prefix.
  const std::string signed_path = path(resource);
  const auto query = http_api::signed_query(credentials_.key, credentials_.secret, method, signed_path, body,
                                            static_cast<std::int64_t>(std::time(nullptr)), std::move(params));
  const std::string target = server_.path_prefix + encode_segments(signed_path) + "?" + query;
  return http_request(server_, method, target, body, options_);
}

Result<HttpResponse> ApiClient::get(std::string_view resource, std::vector<http_api::QueryParam> params) const {
  return request("GET", resource, std::move(params), {});
}

Result<HttpResponse> ApiClient::post(std::string_view resource, std::string_view json_body) const {
  return request("POST", resource, {}, json_body);
}

}  // namespace pws::client
