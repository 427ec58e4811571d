// StatisticsSource: what the HTTP API needs from the statistics recorder (in
// the server) to answer GET /apps/{id}/statistics and to report the writer's
// health in /metrics, without depending on threads or SQLite connections.
#pragma once

#include <optional>
#include <vector>

#include "error/result.hpp"
#include "stats/snapshot.hpp"
#include "stats/store.hpp"
#include "stats/writer.hpp"

namespace pws::http_api {

class StatisticsSource {
 public:
  virtual ~StatisticsSource() = default;
  /// [statistics] enabled.
  virtual bool enabled() const = 0;
  virtual int interval_seconds() const = 0;
  /// Snapshots already written; may fail (database missing or locked).
  virtual Result<std::vector<stats::Snapshot>> snapshots(const stats::SnapshotQuery& query) = 0;
  virtual stats::WriterFigures writer_figures() const = 0;
};

}  // namespace pws::http_api
