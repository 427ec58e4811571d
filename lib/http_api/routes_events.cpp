// POST /apps/{id}/events and POST /apps/{id}/batch_events
// (../shared/docs/pusher-protocol.md 5.5, 5.6).
#include <string>
#include <vector>

#include "http_api/json_body.hpp"
#include "http_api/routes.hpp"
#include "http_api/trigger_event.hpp"
#include "protocol/json_text.hpp"

namespace pws::http_api {

namespace {

/// Publishes a validated event; returns the channels it went to.
const std::vector<std::string>& publish(const RouteContext& ctx, TriggerEvent& event) {
  ctx.hub.count_api_message(ctx.app);
  channels::PublishRequest request{event.name, event.data, std::move(event.channels),
                                   event.socket_id};
  ctx.hub.publish(ctx.app, request);
  event.channels = std::move(request.channels);
  return event.channels;
}

/// Section 6: the budget is counted in channels published to, all or nothing.
bool take_backend_budget(const RouteContext& ctx, std::int64_t channels) {
  return ctx.backend_events.try_take(ctx.app.id, ctx.app.limits.max_backend_events_per_sec, channels,
                                     ctx.clock.monotonic_ms());
}

/// Counts are read after publishing: they describe the channel as the
/// request leaves it, not the set of recipients (5.5).
void append_attributes(std::string& out, const RouteContext& ctx, const InfoRequest& info,
                       const std::string& channel) {
  append_channel_attributes(out, info, protocol::classify_channel(channel),
                            ctx.hub.channel_info(ctx.app, channel));
}

}  // namespace

Response rate_limited(std::string_view limit_name, int limit) {
  auto response = error_response(429, "Too many requests: " + std::string(limit_name) + " is " +
                                          std::to_string(limit) + " for this app");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

Response handle_events(const RouteContext& ctx) {
  auto body = parse_json_object(ctx.request.body);
  if (!body) return error_from(body.error());
  auto event = parse_trigger_event(*body, ctx.app.limits, EventSource::Trigger);
  if (!event) return error_from(event.error());
  if (!take_backend_budget(ctx, static_cast<std::int64_t>(event->channels.size())))
    return rate_limited("max_backend_events_per_sec", ctx.app.limits.max_backend_events_per_sec);

  const auto& published = publish(ctx, *event);
  // Pusher answers exactly {} without `info` (soketi's {"ok":true} is not copied).
  if (!event->info) return json_ok("{}");

  std::string out = "{\"channels\":{";
  bool first = true;
  for (const auto& channel : published) {
    if (!first) out.push_back(',');
    first = false;
    protocol::append_json_string(out, channel);
    out.push_back(':');
    append_attributes(out, ctx, *event->info, channel);
  }
  out.append("}}");
  return json_ok(std::move(out));
}

Response handle_batch_events(const RouteContext& ctx) {
  auto body = parse_json_object(ctx.request.body);
  if (!body) return error_from(body.error());
  const auto* batch = body->if_contains("batch");
  if (batch == nullptr || batch->is_null()) return error_response(400, "Missing batch");
  if (!batch->is_array()) return error_response(400, "`batch` must be an array of events");
  const auto& items = batch->get_array();
  if (items.empty()) return error_response(400, "`batch` must not be empty");
  const auto max_batch = ctx.app.limits.max_event_batch_size;
  if (max_batch >= 0 && items.size() > static_cast<std::size_t>(max_batch))
    return error_response(400, "Batch too large: at most " + std::to_string(max_batch) + " events");

  // Validate every item before publishing any, so a bad item publishes nothing (5.6).
  std::vector<TriggerEvent> events;
  events.reserve(items.size());
  bool any_info = false;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto where = "Batch item " + std::to_string(i) + ": ";
    if (!items[i].is_object()) return error_response(400, where + "must be an object");
    auto event = parse_trigger_event(items[i].get_object(), ctx.app.limits, EventSource::BatchItem);
    if (!event) return error_from(Error{event.error().code, where + event.error().message});
    any_info = any_info || event->info.has_value();
    events.push_back(std::move(*event));
  }
  std::int64_t channels = 0;
  for (const auto& event : events) channels += static_cast<std::int64_t>(event.channels.size());
  if (!take_backend_budget(ctx, channels))
    return rate_limited("max_backend_events_per_sec", ctx.app.limits.max_backend_events_per_sec);

  std::string out = "{\"batch\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto& event = events[i];
    const auto& published = publish(ctx, event);
    if (!any_info) continue;
    if (i > 0) out.push_back(',');
    if (event.info)
      append_attributes(out, ctx, *event.info, published.front());
    else
      out.append("{}");
  }
  if (!any_info) return json_ok("{}");
  out.append("]}");
  return json_ok(std::move(out));
}

}  // namespace pws::http_api
