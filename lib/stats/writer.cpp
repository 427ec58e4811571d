// Writer: the statistics thread. Rows stay at the front of pending_ while
// they are being written and leave it only once their transaction is
// committed, so a failed write loses nothing; submit() trims the backlog to
// max_pending_ from the oldest end.
#include "stats/writer.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include "stats/store.hpp"

namespace pws::stats {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kBatchRows = 10000;  ///< rows per transaction
/// Between attempts once stop() was called: the deadline is what limits them.
constexpr auto kStopRetry = std::chrono::milliseconds(100);

std::string rows_text(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " row" : " rows"); }

}  // namespace

Writer::Writer(std::filesystem::path path, Log log, std::size_t max_pending_rows)
    : Writer(std::move(path), std::move(log), max_pending_rows, WriterTimings{}) {}

Writer::Writer(std::filesystem::path path, Log log, std::size_t max_pending_rows, WriterTimings timings)
    : path_(std::move(path)),
      log_(std::move(log)),
      max_pending_(std::max<std::size_t>(max_pending_rows, 1)),
      timings_(timings) {
  timings_.first_backoff = std::max(timings_.first_backoff, std::chrono::milliseconds(1));
  timings_.max_backoff = std::max(timings_.max_backoff, timings_.first_backoff);
  thread_ = std::thread([this] { run(); });
}

Writer::~Writer() {
  if (thread_.joinable()) stop(std::chrono::milliseconds(1000));
}

void Writer::submit(std::vector<Snapshot> rows) {
  if (rows.empty()) return;
  {
    std::lock_guard lock(mutex_);
    for (Snapshot& row : rows) pending_.push_back(std::move(row));
    while (pending_.size() > max_pending_) {
      pending_.pop_front();
      ++figures_.dropped;
      if (inflight_ > 0) {
        // Being written right now: if that succeeds it was not lost after all.
        --inflight_;
        ++inflight_dropped_;
      }
    }
    figures_.pending = pending_.size();
  }
  wake_.notify_one();
}

bool Writer::stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !thread_.joinable()) return pending_.empty();
    stopping_ = true;
    stop_deadline_ = Clock::now() + deadline;
  }
  wake_.notify_all();
  thread_.join();
  std::lock_guard lock(mutex_);
  return pending_.empty();
}

WriterFigures Writer::figures() const {
  std::lock_guard lock(mutex_);
  return figures_;
}

void Writer::run() {
  std::unique_ptr<Store> store;
  auto cancelled = [this] {
    std::lock_guard lock(mutex_);
    return stopping_ && Clock::now() >= stop_deadline_;
  };

  std::unique_lock lock(mutex_);
  Clock::time_point next_attempt = Clock::now();
  const auto first_backoff = std::chrono::duration_cast<Clock::duration>(timings_.first_backoff);
  const auto max_backoff = std::chrono::duration_cast<Clock::duration>(timings_.max_backoff);
  const int busy_timeout_ms = static_cast<int>(timings_.busy_timeout.count());
  auto backoff = first_backoff;
  bool failing = false;          // the "cannot write" line was logged
  std::uint64_t caught_up = 0;   // rows written since writing works again
  bool stop_attempted = false;   // stop() gets one attempt at once, whatever the backoff

  auto emit = [&](std::string line) {
    if (!log_) return;
    lock.unlock();
    log_(line);
    lock.lock();
  };

  for (;;) {
    // Wait for rows to write and for the backoff to pass, or for stop().
    while (true) {
      const auto now = Clock::now();
      if (stopping_) {
        if (pending_.empty() || now >= stop_deadline_) break;
        if (!stop_attempted) next_attempt = std::min(next_attempt, now);
        if (now >= next_attempt) break;
        wake_.wait_until(lock, std::min(next_attempt, stop_deadline_));
        continue;
      }
      if (!pending_.empty()) {
        if (now >= next_attempt) break;
        wake_.wait_until(lock, next_attempt);
        continue;
      }
      wake_.wait(lock);
    }
    if (stopping_ && (pending_.empty() || Clock::now() >= stop_deadline_)) break;
    if (stopping_) stop_attempted = true;

    const std::size_t count = std::min(pending_.size(), kBatchRows);
    std::vector<Snapshot> batch(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(count));
    inflight_ = count;
    inflight_dropped_ = 0;
    lock.unlock();

    std::optional<Error> error;
    if (!store) {
      auto opened = Store::open(path_, OpenMode::ReadWrite, busy_timeout_ms, cancelled);
      if (opened)
        store = std::move(*opened);
      else
        error = opened.error();
    }
    if (store) {
      if (auto appended = store->append(batch); !appended) error = appended.error();
    }

    lock.lock();
    if (!error) {
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(inflight_));
      figures_.written += count;
      figures_.dropped -= inflight_dropped_;
      figures_.pending = pending_.size();
      figures_.healthy = true;
      inflight_ = inflight_dropped_ = 0;
      backoff = first_backoff;
      next_attempt = Clock::now();
      if (failing) {
        caught_up += count;
        if (pending_.empty()) {
          failing = false;
          emit("statistics: writing to " + path_.string() + " again; caught up " + rows_text(caught_up));
          caught_up = 0;
        }
      }
      continue;
    }

    // The rows stay queued (minus any submit() dropped meanwhile).
    inflight_ = inflight_dropped_ = 0;
    ++figures_.failures;
    figures_.healthy = false;
    store.reset();  // reopen next time: the file may have been replaced or repaired
    next_attempt = Clock::now() + (stopping_ ? std::chrono::duration_cast<Clock::duration>(kStopRetry) : backoff);
    backoff = std::min(backoff * 2, max_backoff);
    if (!failing) {
      failing = true;
      caught_up = 0;
      emit("statistics: " + error->message + "; keeping " + rows_text(pending_.size()) +
           " in memory and retrying");
    }
  }

  if (!pending_.empty()) {
    emit("statistics: " + rows_text(pending_.size()) + " not written to " + path_.string() +
         " before shutdown");
  }
}

}  // namespace pws::stats
