// Writer: the server's one statistics writer, on its own thread so a slow,
// locked or broken database never stalls the event loop. The loop hands it
// finished snapshots (once per interval, not per message); the thread opens
// the Store lazily, writes, and on failure keeps the rows (bounded), reports
// the problem once, retries with backoff and says when writing works again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "stats/snapshot.hpp"

namespace pws::stats {

struct WriterFigures {
  std::uint64_t written = 0;   ///< rows committed since start
  std::uint64_t dropped = 0;   ///< rows discarded because the backlog was full
  std::uint64_t failures = 0;  ///< failed write attempts
  std::size_t pending = 0;     ///< rows waiting to be written
  bool healthy = true;         ///< the last attempt succeeded (or none was needed)
};

/// How long the Writer waits for a lock and between retries. The defaults
/// are the server's; tests shorten them.
struct WriterTimings {
  std::chrono::milliseconds busy_timeout{5000};   ///< per attempt, for a lock held elsewhere
  std::chrono::milliseconds first_backoff{1000};  ///< after the first failure; doubles
  std::chrono::milliseconds max_backoff{30000};   ///< the doubling stops here
};

class Writer {
 public:
  using Log = std::function<void(std::string_view line)>;

  /// Starts the thread. `log` receives one line per state change ("cannot
  /// write ...; retrying", "writing again ..."), never one per retry; it is
  /// called from the writer thread.
  Writer(std::filesystem::path path, Log log, std::size_t max_pending_rows = 100000);
  Writer(std::filesystem::path path, Log log, std::size_t max_pending_rows, WriterTimings timings);
  /// Calls stop() with a short deadline if still running.
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  /// Queues rows for writing; returns at once. When the backlog is over
  /// max_pending_rows the oldest rows are dropped (and counted).
  void submit(std::vector<Snapshot> rows);

  /// Writes what is pending (retrying until `deadline` passes) and joins
  /// the thread. Returns true when nothing was left unwritten.
  bool stop(std::chrono::milliseconds deadline);

  WriterFigures figures() const;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  void run();

  std::filesystem::path path_;
  Log log_;
  std::size_t max_pending_;
  WriterTimings timings_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Snapshot> pending_;
  WriterFigures figures_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::size_t inflight_ = 0;          ///< rows at the front of pending_ being written now
  std::size_t inflight_dropped_ = 0;  ///< of those, dropped by submit() meanwhile
  std::thread thread_;
};

}  // namespace pws::stats
