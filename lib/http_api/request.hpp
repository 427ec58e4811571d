// Plain HTTP request/response values: the server fills a Request from
// libwebsockets and writes the Response back. No sockets here.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pws::http_api {

struct Request {
  std::string method;  ///< "GET", "POST", ...
  std::string path;    ///< as received, without the query, still percent-encoded
  std::string query;   ///< raw query string without '?', still percent-encoded
  std::string body;
  std::string authorization;   ///< the Authorization header ("" when absent)
  std::string host;            ///< the Host header ("" when absent)
  std::string origin;          ///< the Origin header ("" when absent)
  std::string content_type;    ///< the Content-Type header ("" when absent)
  bool from_loopback = false;  ///< the peer is 127.0.0.0/8 or ::1
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

/// {"error":"<message>","code":<status>} with that status (section 5.1).
Response error_response(int status, std::string_view message);

}  // namespace pws::http_api
