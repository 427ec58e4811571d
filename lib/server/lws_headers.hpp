// Small helpers over libwebsockets' request headers, shared by the HTTP and
// WebSocket callbacks.
#pragma once

#include <libwebsockets.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pws::server {

/// The value of header `token` of the request on `wsi` ("" when absent).
inline std::string request_header(lws* wsi, lws_token_indexes token) {
  const int length = lws_hdr_total_length(wsi, token);
  if (length <= 0) return {};
  std::string out(static_cast<std::size_t>(length) + 1, '\0');
  const int copied = lws_hdr_copy(wsi, out.data(), length + 1, token);
  out.resize(copied > 0 ? static_cast<std::size_t>(copied) : 0);
  return out;
}

/// Every query fragment ("k=v") of the request, as lws parsed them.
inline std::vector<std::string> query_fragments(lws* wsi) {
  std::vector<std::string> out;
  // No fragment is longer than all of them together.
  const int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
  if (total <= 0) return out;
  std::string buffer(static_cast<std::size_t>(total) + 1, '\0');
  for (int i = 0;; ++i) {
    const int n = lws_hdr_copy_fragment(wsi, buffer.data(), total + 1, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0) break;
    out.emplace_back(buffer.data(), static_cast<std::size_t>(n));
  }
  return out;
}

/// The value of query parameter `name` (nullopt when absent), whatever its
/// length: lws_get_urlarg_by_name() reports a value longer than its buffer
/// as absent.
inline std::optional<std::string> query_value(lws* wsi, std::string_view name) {
  for (const std::string& fragment : query_fragments(wsi)) {
    if (fragment.size() > name.size() && fragment.compare(0, name.size(), name) == 0 &&
        fragment[name.size()] == '=')
      return fragment.substr(name.size() + 1);
    if (fragment == name) return std::string();
  }
  return std::nullopt;
}

}  // namespace pws::server
