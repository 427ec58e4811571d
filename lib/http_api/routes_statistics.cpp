// GET /apps/{id}/statistics: the app's recorded snapshots and its current
// figures, signed like every HTTP API call. A pws extension (Pusher has no
// such endpoint) for the dashboard and scripts; `since` and `until` are Unix
// seconds, the default window is the last 24 hours.
#include <charconv>
#include <optional>

#include "http_api/authenticate.hpp"
#include "http_api/routes.hpp"
#include "protocol/json_text.hpp"

namespace pws::http_api {

namespace {

constexpr std::int64_t kDefaultWindowSeconds = 86400;
constexpr std::size_t kMaxSnapshots = 10000;

/// The integer parameter `key`, nullopt when absent; an error when malformed.
Result<std::optional<std::int64_t>> seconds_param(const RouteContext& ctx, std::string_view key) {
  const std::string* text = find_param(ctx.params, key);
  if (!text) return std::optional<std::int64_t>();
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || value < 0 ||
      value > 100'000'000'000)
    return make_error(Errc::BadRequest, std::string(key) + " must be a Unix time in seconds");
  return std::optional<std::int64_t>(value);
}

void field(std::string& out, std::string_view name, std::int64_t value, bool comma = true) {
  if (comma) out += ',';
  out += '"';
  out += name;
  out += "\":";
  out += std::to_string(value);
}

}  // namespace

Response handle_statistics(const RouteContext& ctx) {
  auto since = seconds_param(ctx, "since");
  if (!since) return error_from(since.error());
  auto until = seconds_param(ctx, "until");
  if (!until) return error_from(until.error());

  const std::int64_t now = ctx.clock.unix_seconds();
  const bool enabled = ctx.statistics && ctx.statistics->enabled() && ctx.app.enable_statistics;
  std::vector<stats::Snapshot> snapshots;
  if (enabled) {
    stats::SnapshotQuery query;
    query.app_id = ctx.app.id;
    query.since_ms = since->value_or(now - kDefaultWindowSeconds) * 1000;
    if (*until) query.until_ms = **until * 1000;
    query.limit = kMaxSnapshots;
    auto rows = ctx.statistics->snapshots(query);
    if (!rows) return error_response(503, "statistics are not readable right now: " + rows.error().message);
    snapshots = std::move(rows.value());
  }

  const channels::AppCounters c = ctx.hub.server_counters(ctx.app);
  std::string out = "{\"app_id\":";
  protocol::append_json_string(out, ctx.app.id);
  out += ",\"enabled\":";
  out += enabled ? "true" : "false";
  field(out, "interval_seconds", ctx.statistics ? ctx.statistics->interval_seconds() : 0);
  field(out, "time", now);
  out += ",\"current\":{";
  field(out, "connections", c.connections, false);
  field(out, "channels", static_cast<std::int64_t>(c.channels));
  field(out, "subscriptions", static_cast<std::int64_t>(c.subscriptions));
  field(out, "websocket_messages", static_cast<std::int64_t>(c.websocket_messages_in));
  field(out, "api_messages", static_cast<std::int64_t>(c.api_messages));
  field(out, "messages_sent", static_cast<std::int64_t>(c.messages_out));
  out += "},\"snapshots\":[";
  bool first = true;
  for (const auto& s : snapshots) {
    if (!first) out += ',';
    first = false;
    out += '{';
    field(out, "time", s.time_ms / 1000, false);
    field(out, "peak_connections", s.peak_connections);
    field(out, "websocket_messages", s.websocket_messages);
    field(out, "api_messages", s.api_messages);
    if (!s.node.empty()) {
      out += ",\"node\":";
      protocol::append_json_string(out, s.node);
    }
    out += '}';
  }
  out += "]}";
  return json_ok(std::move(out));
}

}  // namespace pws::http_api
