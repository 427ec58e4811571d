// Response helpers shared by every route (../shared/docs/pusher-protocol.md 5.1).
#include "http_api/request.hpp"

#include "protocol/json_text.hpp"

namespace pws::http_api {

Response error_response(int status, std::string_view message) {
  Response response;
  response.status = status;
  response.body = "{\"error\":";
  protocol::append_json_string(response.body, message);
  response.body += ",\"code\":";
  response.body += std::to_string(status);
  response.body += '}';
  return response;
}

}  // namespace pws::http_api
