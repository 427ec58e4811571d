// GET /metrics: the Prometheus text exposition format (version 0.0.4) of
// the hub's per-app figures, the HTTP API's request counts, the statistics
// writer's health, the webhook sender's per-app figures and the process
// figures. Pure: the caller gathers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "channels/hub.hpp"
#include "http_api/cluster_figures.hpp"
#include "http_api/process_figures.hpp"
#include "http_api/webhook_figures.hpp"
#include "stats/writer.hpp"

namespace pws::http_api {

/// HTTP API requests answered, by (app id, status). Requests for unknown
/// app ids are counted under "" so an attacker cannot grow the map.
using HttpCounts = std::map<std::pair<std::string, int>, std::uint64_t>;

struct MetricsInput {
  const channels::Hub& hub;
  const HttpCounts& http_counts;
  ProcessFigures process;
  std::optional<stats::WriterFigures> statistics;  ///< nullopt when statistics are off
  std::string_view version;
  const WebhookFigures* webhooks = nullptr;  ///< null = no webhook sender
  const ClusterFigures* cluster = nullptr;   ///< null = not in a cluster
};

std::string render_metrics(const MetricsInput& input);

/// `value` escaped for a label value (backslash, double quote, newline).
std::string escape_label_value(std::string_view value);

}  // namespace pws::http_api
