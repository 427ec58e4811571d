// StatisticsRecorder: turns the hub's running per-app counters into one
// Snapshot per app per interval and hands them to the stats::Writer thread.
// Runs on the event loop (sample() from a timer); costs nothing per message
// since the hub keeps the counters anyway. Also the HTTP API's
// StatisticsSource (reads go through a separate read-only connection).
// With several event loops only the first loop's recorder samples and
// writes, from the counters all hubs share (Hub::server_counters); the other
// loops' recorders only read.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "http_api/statistics_source.hpp"
#include "registry/config.hpp"
#include "stats/store.hpp"
#include "stats/writer.hpp"

namespace pws::server {

class StatisticsRecorder final : public http_api::StatisticsSource {
 public:
  StatisticsRecorder(channels::Hub& hub, registry::StatisticsConfig config, std::filesystem::path database);
  /// Reads the database; its writer's figures are `writer`'s.
  StatisticsRecorder(const StatisticsRecorder& writer, channels::Hub& hub);

  bool writes() const noexcept { return writer_.has_value(); }

  /// Closes the interval ending now (Unix ms): one snapshot for each app
  /// with statistics on that had connections or messages in it.
  void sample(std::int64_t now_ms);
  /// Tags every row from now on with this cluster node's id ("" = alone).
  void set_node(std::string node) { node_ = std::move(node); }

  /// Writes the current (partial) interval and what is pending; returns
  /// within `deadline`.
  void finish(std::int64_t now_ms, std::chrono::milliseconds deadline);

  int interval_ms() const noexcept { return config_.interval_in_seconds * 1000; }

  // StatisticsSource
  bool enabled() const override { return config_.enabled; }
  int interval_seconds() const override { return config_.interval_in_seconds; }
  Result<std::vector<stats::Snapshot>> snapshots(const stats::SnapshotQuery& query) override;
  stats::WriterFigures writer_figures() const override {
    return writer_ ? writer_->figures() : figures_of_->writer_figures();
  }

 private:
  /// Counter values at the end of the previous interval.
  struct Seen {
    std::uint64_t websocket_messages = 0;
    std::uint64_t api_messages = 0;
  };

  channels::Hub& hub_;
  registry::StatisticsConfig config_;
  std::filesystem::path database_;
  std::unordered_map<std::string, Seen> seen_;
  std::string node_;  // cluster node id, "" alone
  std::optional<stats::Writer> writer_;        // none on a loop that only reads
  const StatisticsRecorder* figures_of_ = nullptr;  // the writing loop's, when none
  std::unique_ptr<stats::Store> reader_;  // opened on first read
};

}  // namespace pws::server
