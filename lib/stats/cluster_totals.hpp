// cluster_totals: the snapshots of several cluster nodes (issue 7) summed
// per minute, so `pws stats show` can say what the whole cluster did. Nodes
// sample on timers of their own, so rows are matched by the minute they end
// in: per node the peak is the highest of its rows in that minute and the
// messages their sum; per minute the nodes' figures are added.
#pragma once

#include <cstdint>
#include <vector>

#include "stats/snapshot.hpp"

namespace pws::stats {

struct ClusterTotal {
  std::int64_t minute_ms = 0;  ///< start of the minute, Unix epoch milliseconds
  std::int64_t peak_connections = 0;
  std::int64_t websocket_messages = 0;
  std::int64_t api_messages = 0;
  std::size_t nodes = 0;  ///< nodes that reported in that minute
};

/// Oldest minute first; empty unless the rows come from two nodes or more.
std::vector<ClusterTotal> cluster_totals(const std::vector<Snapshot>& rows);

}  // namespace pws::stats
