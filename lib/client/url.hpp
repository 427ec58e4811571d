// Url: where the CLI finds a running pws (http[s]://host[:port][/prefix]),
// from --url, $PWS_URL or the config's [server] section.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "error/result.hpp"
#include "registry/config.hpp"

namespace pws::client {

struct Url {
  bool tls = false;
  std::string host;         ///< name or address; IPv6 without brackets
  int port = 6001;
  std::string path_prefix;  ///< "" or "/x" (no trailing "/")

  /// "http://127.0.0.1:6001/prefix" (IPv6 hosts in brackets).
  std::string text() const;
};

/// http:// or https://, optional port (default 80/443), optional path
/// prefix; no query, fragment or user info. Errc::InvalidConfig naming the
/// problem otherwise.
Result<Url> parse_url(std::string_view text);

/// A URL requests are sent to as they are (webhook endpoints): the server
/// part, as parse_url reads it, and the request target.
struct RequestUrl {
  Url server;          ///< path_prefix stays empty
  std::string target;  ///< path and query exactly as written ("/" when none); the fragment is dropped
};

/// http[s]://host[:port][/path][?query][#fragment]; Errc::InvalidConfig for
/// what parse_url refuses in the scheme, host or port, for user info and for
/// blanks or control characters anywhere.
Result<RequestUrl> parse_request_url(std::string_view text);

/// --url when given, else $PWS_URL, else derived from config.server (https
/// when TLS is configured; a wildcard host such as 0.0.0.0, :: or "" becomes
/// 127.0.0.1), else http://127.0.0.1:6001. Errc::InvalidConfig for a bad
/// --url or $PWS_URL, the message naming which.
Result<Url> server_url(const std::optional<std::string>& flag, const registry::Config& config);

}  // namespace pws::client
