#include "server/statistics_recorder.hpp"

#include <cstdio>

namespace pws::server {

namespace {

/// A reader must never stall the event loop for long: a locked database
/// answers 503 rather than waiting out the writer.
constexpr int kReaderBusyTimeoutMs = 200;

void log_line(std::string_view line) {
  std::fprintf(stderr, "pws: statistics: %.*s\n", static_cast<int>(line.size()), line.data());
}

/// Counters only grow, except when an app is removed and added back (its
/// state starts again at zero): then the whole new value is this interval's.
std::int64_t delta(std::uint64_t now, std::uint64_t before) {
  return static_cast<std::int64_t>(now >= before ? now - before : now);
}

}  // namespace

StatisticsRecorder::StatisticsRecorder(channels::Hub& hub, registry::StatisticsConfig config,
                                       std::filesystem::path database)
    : hub_(hub), config_(std::move(config)), database_(std::move(database)) {
  writer_.emplace(database_, log_line);
}

StatisticsRecorder::StatisticsRecorder(const StatisticsRecorder& writer, channels::Hub& hub)
    : hub_(hub), config_(writer.config_), database_(writer.database_), figures_of_(&writer) {}

void StatisticsRecorder::sample(std::int64_t now_ms) {
  if (!writer_) return;
  std::vector<stats::Snapshot> rows;
  for (const auto& app : hub_.apps().apps()) {
    // Always advance the peak and the seen counters, so that turning
    // statistics on later does not attribute old traffic to one interval.
    const std::int64_t peak = hub_.take_peak_connections(app->id);
    const channels::AppCounters c = hub_.server_counters(*app);
    Seen& seen = seen_[app->id];
    stats::Snapshot row;
    row.app_id = app->id;
    row.node = node_;
    row.time_ms = now_ms;
    row.peak_connections = peak;
    row.websocket_messages = delta(c.websocket_messages_in, seen.websocket_messages);
    row.api_messages = delta(c.api_messages, seen.api_messages);
    seen = Seen{c.websocket_messages_in, c.api_messages};
    if (!config_.enabled || !app->enable_statistics) continue;
    // Idle apps write nothing: a quiet tenant should not fill the database.
    if (row.peak_connections == 0 && row.websocket_messages == 0 && row.api_messages == 0) continue;
    rows.push_back(std::move(row));
  }
  if (!rows.empty()) writer_->submit(std::move(rows));
}

void StatisticsRecorder::finish(std::int64_t now_ms, std::chrono::milliseconds deadline) {
  if (!writer_) return;
  sample(now_ms);
  writer_->stop(deadline);
}

Result<std::vector<stats::Snapshot>> StatisticsRecorder::snapshots(const stats::SnapshotQuery& query) {
  if (!reader_) {
    std::error_code ec;
    if (!std::filesystem::exists(database_, ec)) return std::vector<stats::Snapshot>();
    auto opened = stats::Store::open(database_, stats::OpenMode::ReadOnly, kReaderBusyTimeoutMs);
    if (!opened) return opened.error();
    reader_ = std::move(opened.value());
  }
  auto rows = reader_->query(query);
  // A failed read may mean a replaced or repaired file: reopen next time.
  if (!rows) reader_.reset();
  return rows;
}

}  // namespace pws::server
