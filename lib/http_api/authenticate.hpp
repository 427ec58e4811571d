// Server-side verification of a signed HTTP API request
// (../shared/docs/pusher-protocol.md 5.3). Pure: no sockets, no hub.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "channels/app.hpp"
#include "error/result.hpp"
#include "http_api/signing.hpp"

namespace pws::http_api {

/// The parts of a request that take part in its signature.
struct SignedRequest {
  std::string_view method;
  std::string_view full_path;  ///< as received, percent-encoded, prefix included
  std::string_view path;       ///< full_path with the server path prefix removed
  std::string_view raw_query;  ///< still percent-encoded
  std::string_view body;
};

/// Checks auth_key, auth_version, auth_timestamp (|now - ts| <= tolerance),
/// body_md5 and auth_signature of `request` for `app`. `params` is the
/// request's query as parse_query() returned it.
/// Errc::AuthFailed with a message saying what is wrong (never the secret or
/// the expected signature).
Status authenticate(const channels::App& app, const SignedRequest& request,
                    const std::vector<QueryParam>& params, std::int64_t now_unix_seconds,
                    int tolerance_seconds);

/// The value of the parameter whose key equals `key` ignoring case, or
/// nullptr. Keys are signed lower-cased, so AUTH_KEY means auth_key.
const std::string* find_param(const std::vector<QueryParam>& params, std::string_view key);

}  // namespace pws::http_api
