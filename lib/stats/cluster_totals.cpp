#include "stats/cluster_totals.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>

namespace pws::stats {

std::vector<ClusterTotal> cluster_totals(const std::vector<Snapshot>& rows) {
  std::set<std::string> nodes;
  for (const auto& row : rows) nodes.insert(row.node);
  if (nodes.size() < 2) return {};

  constexpr std::int64_t kMinuteMs = 60'000;
  struct NodeMinute {
    std::int64_t peak = 0;
    std::int64_t websocket = 0;
    std::int64_t api = 0;
  };
  std::map<std::pair<std::int64_t, std::string>, NodeMinute> per_node;
  for (const auto& row : rows) {
    const std::int64_t minute = row.time_ms - ((row.time_ms % kMinuteMs) + kMinuteMs) % kMinuteMs;
    NodeMinute& m = per_node[{minute, row.node}];
    m.peak = std::max(m.peak, row.peak_connections);
    m.websocket += row.websocket_messages;
    m.api += row.api_messages;
  }
  std::vector<ClusterTotal> totals;
  for (const auto& [key, m] : per_node) {
    if (totals.empty() || totals.back().minute_ms != key.first) totals.push_back(ClusterTotal{key.first});
    ClusterTotal& t = totals.back();
    t.peak_connections += m.peak;
    t.websocket_messages += m.websocket;
    t.api_messages += m.api;
    ++t.nodes;
  }
  return totals;
}

}  // namespace pws::stats
