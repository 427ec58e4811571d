// POST /apps/{id}/users/{user_id}/terminate_connections
// (../shared/docs/pusher-protocol.md 5.10).
#include "http_api/routes.hpp"

namespace pws::http_api {

Response handle_terminate_user_connections(const RouteContext& ctx) {
  const auto& user_id = ctx.route.user_id;
  const auto max_length = ctx.app.limits.max_user_id_length;
  if (max_length >= 0 && user_id.size() > static_cast<std::size_t>(max_length))
    return error_response(400, "User id is longer than " + std::to_string(max_length) +
                                   " characters");
  // SDKs send the body "{}"; its content carries no parameters, so it is
  // only covered by body_md5 and otherwise ignored. The hub sends each
  // signed-in connection pusher:error 4009 and closes it; {} also when the
  // user has no connection.
  ctx.hub.terminate_user_connections(ctx.app, user_id);
  return json_ok("{}");
}

}  // namespace pws::http_api
