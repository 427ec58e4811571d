// SignedRequest: the exact bytes of one webhook POST (7.1): the body and the
// headers that authenticate it. Built once per batch and reused by every
// retry, so the signature always covers what is sent. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pws::webhooks {

inline constexpr std::string_view kKeyHeader = "X-Pusher-Key";
inline constexpr std::string_view kSignatureHeader = "X-Pusher-Signature";

using Headers = std::vector<std::pair<std::string, std::string>>;

struct SignedRequest {
  std::string body;
  /// X-Pusher-Key, X-Pusher-Signature, then the endpoint's extra headers.
  /// Content-Type: application/json is the HTTP client's own for a POST.
  Headers headers;
};

/// hex HMAC-SHA256(secret, body): what receivers compare X-Pusher-Signature with.
std::string webhook_signature(std::string_view secret, std::string_view body);

/// Signs `body` for the app (`key`, `secret`). `extra` never holds the
/// Pusher headers: the registry refuses them (they could not be trusted).
SignedRequest sign_request(std::string body, std::string_view key, std::string_view secret, const Headers& extra);

}  // namespace pws::webhooks
