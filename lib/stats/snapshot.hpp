// Snapshot: one row of statistics, what laravel-websockets records per app
// per interval. A plain value shared by the server (writer), the HTTP API
// (JSON statistics endpoint) and `pws stats`.
#pragma once

#include <cstdint>
#include <string>

namespace pws::stats {

struct Snapshot {
  std::string app_id;
  std::int64_t time_ms = 0;             ///< end of the interval, Unix epoch milliseconds
  std::int64_t peak_connections = 0;    ///< most concurrent connections during the interval
  std::int64_t websocket_messages = 0;  ///< messages received from clients during the interval
  std::int64_t api_messages = 0;        ///< HTTP API event requests during the interval
  std::string node;                     ///< node name in a cluster (issue 7); "" alone

  bool operator==(const Snapshot&) const = default;
};

}  // namespace pws::stats
