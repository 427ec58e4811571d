// ApiClient: the Pusher HTTP API as the server SDKs call it (section 5),
// signed with http_api::signed_query so the CLI and the server can never
// disagree on the canonical form.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/http_client.hpp"
#include "client/url.hpp"
#include "http_api/signing.hpp"

namespace pws::client {

struct Credentials {
  std::string app_id;
  std::string key;
  std::string secret;
  /// Where they came from, for messages: the config file's path, or
  /// "PUSHER_APP_ID/PUSHER_APP_KEY/PUSHER_APP_SECRET" for the environment.
  std::string source;
  bool from_environment = false;
};

/// Which app the CLI acts for: `app_flag` (registry id, then name), else
/// PUSHER_APP_ID/KEY/SECRET when all three are set, else the registry's only
/// app. Errc::BadRequest (a usage error) when none, several or an unknown
/// one; the message lists the ids to choose from.
Result<Credentials> resolve_credentials(const std::optional<std::string>& app_flag, const registry::Config& config);

/// "1001 (chat), 1002": the registry's apps for messages and hints; "" when none.
std::string describe_apps(const registry::Config& config);

class ApiClient {
 public:
  ApiClient(Url server, Credentials credentials, TransportOptions options);

  /// GET /apps/{id}/{resource} with `params` (signed).
  Result<HttpResponse> get(std::string_view resource, std::vector<http_api::QueryParam> params = {}) const;
  /// POST /apps/{id}/{resource} with a JSON body (signed, body_md5).
  Result<HttpResponse> post(std::string_view resource, std::string_view json_body) const;

  const Url& server() const noexcept { return server_; }
  const Credentials& credentials() const noexcept { return credentials_; }
  const TransportOptions& options() const noexcept { return options_; }

  /// "/apps/{id}/{resource}": the path that is signed (before the prefix).
  std::string path(std::string_view resource) const;

 private:
  Result<HttpResponse> request(std::string_view method, std::string_view resource,
                               std::vector<http_api::QueryParam> params, std::string_view body) const;

  Url server_;
  Credentials credentials_;
  TransportOptions options_;
};

}  // namespace pws::client
