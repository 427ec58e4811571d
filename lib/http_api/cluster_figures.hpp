// ClusterFigures: what /metrics needs from the cluster node (lib/cluster,
// with its own Redis threads), read without knowing how it works.
#pragma once

#include <cstdint>

namespace pws::http_api {

struct ClusterFigureValues {
  bool redis_connected = false;  ///< the subscription to the cluster's channel is up
  std::uint64_t reconnects = 0;  ///< times the Redis connection was established again
  std::uint64_t published = 0;   ///< messages sent to the other nodes
  std::uint64_t received = 0;    ///< messages received on the channel (own echoes included)
  std::uint64_t dropped = 0;     ///< messages given up (queue full while Redis was away, send failed)
  std::uint64_t nodes = 1;       ///< live nodes known, this one included
};

class ClusterFigures {
 public:
  virtual ~ClusterFigures() = default;
  virtual ClusterFigureValues cluster_figures() const = 0;
};

}  // namespace pws::http_api
