// Small helpers over libwebsockets' request headers, shared by the HTTP and
// WebSocket callbacks.
#pragma once

#include <libwebsockets.h>

#include <string>

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

}  // namespace pws::server
