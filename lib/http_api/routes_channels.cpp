// GET /apps/{id}/channels, /channels/{name} and /channels/{name}/users
// (../shared/docs/pusher-protocol.md 5.7, 5.8, 5.9). Read-only over the hub.
#include <algorithm>
#include <optional>
#include <string>

#include "http_api/authenticate.hpp"
#include "http_api/channel_attributes.hpp"
#include "http_api/routes.hpp"
#include "protocol/channel_name.hpp"
#include "protocol/json_text.hpp"
#include "protocol/names.hpp"

namespace pws::http_api {

namespace {

std::string_view param_or_empty(const RouteContext& ctx, std::string_view key) {
  const auto* value = find_param(ctx.params, key);
  return value == nullptr ? std::string_view() : std::string_view(*value);
}

/// 400 for an invalid channel name in the path, nullopt when it is fine.
std::optional<Response> check_path_channel(const RouteContext& ctx) {
  const auto& name = ctx.route.channel;
  const auto max_length =
      static_cast<std::size_t>(std::max(ctx.app.limits.max_channel_name_length, 0));
  const auto check = protocol::check_channel_name(name, max_length);
  if (check.valid) return std::nullopt;
  return error_response(400, std::string(info(check.error).message) + ": " + name);
}

void append_count(std::string& out, std::string_view name, std::size_t value) {
  out.append(",\"");
  out.append(name);
  out.append("\":");
  out.append(std::to_string(value));
}

}  // namespace

Response handle_channels(const RouteContext& ctx) {
  const auto prefix = param_or_empty(ctx, "filter_by_prefix");
  const auto info = parse_info(param_or_empty(ctx, "info"));
  // Pusher: user_count only makes sense when every listed channel is a
  // presence channel, which only the prefix filter can guarantee (5.7).
  if (info.user_count && !prefix.starts_with(protocol::names::kPresencePrefix))
    return error_response(400, "info=user_count requires filter_by_prefix=presence-");

  auto names = ctx.hub.occupied_channels(ctx.app, prefix);
  std::sort(names.begin(), names.end());  // stable output for clients and tests

  std::string out = "{\"channels\":{";
  bool first = true;
  for (const auto& name : names) {
    const auto type = protocol::classify_channel(name);
    if (type.is_user_channel()) continue;  // never listed (2.14)
    if (!first) out.push_back(',');
    first = false;
    protocol::append_json_string(out, name);
    out.push_back(':');
    if (info.user_count || info.subscription_count)
      append_channel_attributes(out, info, type, ctx.hub.channel_info(ctx.app, name));
    else
      out.append("{}");
  }
  out.append("}}");
  return json_ok(std::move(out));
}

Response handle_channel(const RouteContext& ctx) {
  if (auto bad = check_path_channel(ctx)) return *bad;
  const auto& name = ctx.route.channel;
  const auto type = protocol::classify_channel(name);
  const auto info = parse_info(param_or_empty(ctx, "info"));
  // An attribute that does not apply to the channel type is an error here,
  // unlike in trigger `info` where it is silently left out (5.8).
  if (info.user_count && !type.is_presence())
    return error_response(400, "user_count is only available for presence channels");
  if (info.cache && !type.cache)
    return error_response(400, "cache is only available for cache channels");

  const auto counts = ctx.hub.channel_info(ctx.app, name);
  std::string out = counts.occupied ? "{\"occupied\":true" : "{\"occupied\":false";
  if (info.user_count) append_count(out, "user_count", counts.user_count);
  if (info.subscription_count) append_count(out, "subscription_count", counts.subscription_count);
  if (info.cache) {
    // null is Pusher's answer for an empty (or expired) cache (5.8).
    if (const auto cached = ctx.hub.cached_event(ctx.app, name)) {
      out.append(",\"cache\":{\"data\":");
      protocol::append_json_string(out, cached->data);
      out.append(",\"ttl\":").append(std::to_string(cached->ttl_seconds)).append("}");
    } else {
      out.append(",\"cache\":null");
    }
  }
  out.push_back('}');
  return json_ok(std::move(out));
}

Response handle_channel_users(const RouteContext& ctx) {
  if (auto bad = check_path_channel(ctx)) return *bad;
  const auto& name = ctx.route.channel;
  if (!protocol::classify_channel(name).is_presence())
    return error_response(400, "Users can only be listed for presence channels");

  std::string out = "{\"users\":[";
  bool first = true;
  for (const auto& id : ctx.hub.presence_user_ids(ctx.app, name)) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"id\":");
    protocol::append_json_string(out, id);
    out.push_back('}');
  }
  out.append("]}");
  return json_ok(std::move(out));
}

}  // namespace pws::http_api
