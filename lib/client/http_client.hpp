// A small blocking HTTP/1.1 client (plain TCP or TLS through OpenSSL) for
// the CLI and the webhook sender: one request per connection (Connection: close), Content-Length,
// chunked or until-close bodies, an overall deadline. It separates "no
// answer" (Errc::Unreachable: DNS, refused, timeout, TLS handshake, a reset
// before the first response byte) from an answer with any status; a broken
// or truncated answer is Errc::Io.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/url.hpp"
#include "error/result.hpp"

namespace pws::client {

struct TransportOptions {
  std::chrono::milliseconds timeout{10000};  ///< connect + send + receive
  bool verify_tls = true;                    ///< false = --insecure
  std::string ca_file;                       ///< extra trusted CA (PEM), optional
  std::string user_agent = "pws-cli";
  /// Extra request headers (webhooks), sent after the client's own; the
  /// caller keeps out line breaks and Host/Content-Length/Connection.
  std::vector<std::pair<std::string, std::string>> headers;
  /// When set, the request gives up within about 100 ms of it turning true
  /// (Errc::Unreachable, "cancelled"), so a stopping process need not wait
  /// out `timeout`. Name resolution (getaddrinfo) cannot be interrupted.
  const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-cased
};

/// `target` is the path (with the URL's prefix already applied) plus query.
/// A non-empty body (or any POST) is sent with Content-Type: application/json.
/// Errc::Unreachable messages name host:port and the reason ("connection
/// refused", "timed out after 10 s", "certificate verify failed: ...").
Result<HttpResponse> http_request(const Url& server, std::string_view method, std::string_view target,
                                  std::string_view body, const TransportOptions& options);

/// Parses the HTTP/1.x response at the start of `raw` (interim 1xx responses
/// skipped). `at_eof`: the peer closed the connection after `raw`, which ends
/// a body without length and makes missing bytes an error. nullopt = more
/// bytes are needed; Errc::Io for a malformed or truncated response.
Result<std::optional<HttpResponse>> parse_response(std::string_view raw, bool at_eof, bool head_request = false);

/// The value of header `name` (lower-case) of `response`, or nullptr.
const std::string* find_header(const HttpResponse& response, std::string_view name);

/// Opens and closes a TCP connection to `server`: nothing when it can be
/// reached, else the system's reason ("cannot resolve host ...", "cannot
/// connect to host:port: connection refused", a timeout) as Errc::Unreachable.
/// For callers whose own transport reports failures vaguely (libwebsockets).
Status probe_tcp(const Url& server, std::chrono::milliseconds timeout);

}  // namespace pws::client
