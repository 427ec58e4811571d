// render_metrics: one # HELP / # TYPE block per metric family, then its
// samples; families named pws_* plus the standard process_* ones.
#include "http_api/metrics.hpp"

#include <charconv>

namespace pws::http_api {

namespace {

class Exposition {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    // The shortest text that reads back as the same double.
    char text[64];
    text[0] = ' ';
    const auto end = std::to_chars(text + 1, text + sizeof text - 1, value).ptr;
    *end = '\n';
    out_.append(text, static_cast<std::size_t>(end + 1 - text));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string app_label(std::string_view app_id) { return "app_id=\"" + escape_label_value(app_id) + "\""; }

struct AppFamily {
  std::string_view name;
  std::string_view type;
  std::string_view help;
  double (*value)(const channels::AppCounters&);
};

const AppFamily kAppFamilies[] = {
    {"pws_connections", "gauge", "Open WebSocket connections.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.connections); }},
    {"pws_connections_opened_total", "counter", "WebSocket connections accepted.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.connections_opened); }},
    {"pws_channels", "gauge", "Occupied channels.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.channels); }},
    {"pws_subscriptions", "gauge", "Channel subscriptions over all connections.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.subscriptions); }},
    {"pws_websocket_messages_received_total", "counter", "WebSocket messages received from clients.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.websocket_messages_in); }},
    {"pws_websocket_messages_sent_total", "counter", "WebSocket messages queued to clients.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.messages_out); }},
    {"pws_websocket_bytes_received_total", "counter", "Payload bytes of WebSocket messages received.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.bytes_in); }},
    {"pws_websocket_bytes_sent_total", "counter", "Payload bytes of WebSocket messages queued to clients.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.bytes_out); }},
    {"pws_api_messages_total", "counter", "Event requests received through the HTTP API.",
     [](const channels::AppCounters& c) { return static_cast<double>(c.api_messages); }},
};

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string render_metrics(const MetricsInput& input) {
  Exposition e;
  e.family("pws_build_info", "gauge", "pws version; always 1.");
  e.sample("pws_build_info", "version=\"" + escape_label_value(input.version) + "\"", 1);

  const auto& apps = input.hub.apps().apps();
  std::vector<std::pair<std::string, channels::AppCounters>> counters;
  counters.reserve(apps.size());
  for (const auto& app : apps) counters.emplace_back(app->id, input.hub.server_counters(*app));
  for (const AppFamily& family : kAppFamilies) {
    e.family(family.name, family.type, family.help);
    for (const auto& [id, c] : counters) e.sample(family.name, app_label(id), family.value(c));
  }

  e.family("pws_http_requests_total", "counter", "HTTP API requests answered, by app and status.");
  for (const auto& [key, count] : input.http_counts)
    e.sample("pws_http_requests_total", app_label(key.first) + ",status=\"" + std::to_string(key.second) + "\"",
             static_cast<double>(count));

  if (input.statistics) {
    const stats::WriterFigures& s = *input.statistics;
    e.family("pws_statistics_snapshots_written_total", "counter", "Statistics snapshots written to the database.");
    e.sample("pws_statistics_snapshots_written_total", "", static_cast<double>(s.written));
    e.family("pws_statistics_snapshots_dropped_total", "counter",
             "Statistics snapshots discarded because the database could not keep up.");
    e.sample("pws_statistics_snapshots_dropped_total", "", static_cast<double>(s.dropped));
    e.family("pws_statistics_write_failures_total", "counter", "Failed attempts to write statistics.");
    e.sample("pws_statistics_write_failures_total", "", static_cast<double>(s.failures));
    e.family("pws_statistics_snapshots_pending", "gauge", "Statistics snapshots waiting to be written.");
    e.sample("pws_statistics_snapshots_pending", "", static_cast<double>(s.pending));
    e.family("pws_statistics_healthy", "gauge", "1 when the last statistics write succeeded.");
    e.sample("pws_statistics_healthy", "", s.healthy ? 1 : 0);
  }

  if (input.webhooks) {
    // Taken once, so the families agree with each other.
    const auto webhooks = input.webhooks->webhook_figures();
    using Row = WebhookAppFigures;
    const struct {
      std::string_view name;
      std::string_view type;
      std::string_view help;
      std::uint64_t Row::*value;
    } families[] = {
        {"pws_webhook_events_queued_total", "counter", "Webhook events accepted for delivery, once per endpoint.",
         &Row::queued},
        {"pws_webhook_events_sent_total", "counter", "Webhook events delivered with a 2xx answer.", &Row::sent},
        {"pws_webhook_attempts_failed_total", "counter",
         "Webhook requests that failed (non-2xx, connection error or timeout).", &Row::failed_attempts},
        {"pws_webhook_events_dropped_total", "counter",
         "Webhook events given up: queue full, retry window over or shutdown.", &Row::dropped},
        {"pws_webhook_events_pending", "gauge", "Webhook events waiting or being sent.", &Row::pending},
    };
    for (const auto& family : families) {
      e.family(family.name, family.type, family.help);
      for (const auto& [id, row] : webhooks) e.sample(family.name, app_label(id), static_cast<double>(row.*family.value));
    }
  }

  if (input.cluster) {
    const ClusterFigureValues c = input.cluster->cluster_figures();
    auto single = [&](std::string_view name, std::string_view type, std::string_view help, double value) {
      e.family(name, type, help);
      e.sample(name, "", value);
    };
    single("pws_redis_connected", "gauge", "1 while this node is subscribed to the cluster's Redis channel.",
           c.redis_connected ? 1 : 0);
    single("pws_redis_reconnects_total", "counter", "Times the Redis connection was established again.",
           static_cast<double>(c.reconnects));
    single("pws_redis_messages_published_total", "counter", "Messages published to the other nodes.",
           static_cast<double>(c.published));
    single("pws_redis_messages_received_total", "counter", "Messages received on the cluster channel, this node's own echoes included.",
           static_cast<double>(c.received));
    single("pws_redis_messages_dropped_total", "counter",
           "Messages to other nodes given up (queue full while Redis was away, or a failed send).",
           static_cast<double>(c.dropped));
    single("pws_cluster_nodes", "gauge", "Live nodes of the cluster known to this node, itself included.",
           static_cast<double>(c.nodes));
  }

  const ProcessFigures& p = input.process;
  auto process = [&](std::string_view name, std::string_view type, std::string_view help, double value) {
    if (value < 0) return;
    e.family(name, type, help);
    e.sample(name, "", value);
  };
  process("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", p.cpu_seconds);
  process("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
          static_cast<double>(p.resident_bytes));
  process("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
          static_cast<double>(p.virtual_bytes));
  process("process_open_fds", "gauge", "Number of open file descriptors.", static_cast<double>(p.open_fds));
  process("process_max_fds", "gauge", "Maximum number of open file descriptors.", static_cast<double>(p.max_fds));
  process("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
          p.start_time_seconds);
  return e.take();
}

}  // namespace pws::http_api
