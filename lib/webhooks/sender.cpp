#include "webhooks/sender.hpp"

#include <algorithm>

namespace pws::webhooks {

Sender::Sender(SenderSettings settings, Transport& transport, const Clock& clock, LogFn log)
    : settings_(settings), transport_(transport), clock_(clock), scheduler_(settings.delivery, std::move(log)) {}

Sender::~Sender() { stop(std::chrono::milliseconds(0)); }

void Sender::start() {
  if (started_ || stopped_) return;
  started_ = true;
  {
    std::lock_guard lock(mutex_);
    accepting_ = true;
  }
  dispatcher_ = std::thread([this] { dispatch(); });
  const std::size_t workers = std::max<std::size_t>(1, settings_.delivery.workers);
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

bool Sender::offer(QueuedEvent&& event) {
  const WebhookEvent& e = event.event;
  const std::size_t bytes = e.channel.size() + e.user_id.size() + e.event.size() + e.data.size() + e.socket_id.size();
  bool was_empty = false;
  {
    std::lock_guard lock(mutex_);
    if (!accepting_ || events_.size() >= settings_.inbox_capacity ||
        events_bytes_ + bytes > settings_.inbox_capacity_bytes)
      return false;
    was_empty = events_.empty();
    events_.push_back(std::move(event));
    events_bytes_ += bytes;
  }
  // The dispatcher takes everything per wake-up: one notification per batch
  // of hand-overs keeps the loop thread's cost at a lock and a push.
  if (was_empty) wake_.notify_one();
  return true;
}

void Sender::stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  if (!started_) return;
  {
    std::lock_guard lock(mutex_);
    accepting_ = false;
    stop_requested_ = true;
    stop_deadline_ = clock_.monotonic_ms() + grace.count();
  }
  wake_.notify_one();
  dispatcher_.join();
  {
    std::lock_guard lock(jobs_mutex_);
    workers_exit_ = true;
  }
  jobs_ready_.notify_all();
  for (auto& worker : workers_) worker.join();
}

void Sender::dispatch() {
  std::deque<QueuedEvent> events;
  std::vector<std::pair<std::uint64_t, AttemptResult>> results;
  bool stopping = false;
  std::int64_t deadline = 0;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      auto ready = [&] { return !events_.empty() || !results_.empty() || (stop_requested_ && !stopping); };
      if (!ready()) {
        std::optional<std::int64_t> wake = scheduler_.next_wake();
        if (stopping && (!wake || *wake > deadline)) wake = deadline;
        if (cancel_) {
          // Past the deadline, waiting for cancelled requests to report.
          wake_.wait_for(lock, std::chrono::milliseconds(50), ready);
        } else if (wake) {
          const std::int64_t wait_ms = std::max<std::int64_t>(0, *wake - clock_.monotonic_ms());
          // Rounded up: waking a millisecond early would only spin.
          wake_.wait_for(lock, std::chrono::milliseconds(wait_ms + 1), ready);
        } else {
          wake_.wait(lock, ready);
        }
      }
      events.swap(events_);
      events_bytes_ = 0;
      results.swap(results_);
      if (stop_requested_ && !stopping) {
        stopping = true;
        deadline = stop_deadline_;
      }
    }

    std::int64_t now = clock_.monotonic_ms();
    for (auto& [id, result] : results) scheduler_.complete(id, result, now);
    results.clear();
    for (auto& event : events) scheduler_.accept(std::move(event), now);
    events.clear();

    if (stopping) {
      if (!scheduler_.stopping()) scheduler_.begin_shutdown(now, deadline);
      if (now >= deadline) {
        // Out of time: whatever is in flight gives up, and its result is
        // awaited (the cancel takes effect within ~100 ms) so every event is
        // accounted for exactly once.
        cancel_ = true;
        if (scheduler_.in_flight() == 0) {
          scheduler_.abandon(now);
          return;
        }
        continue;
      }
      if (scheduler_.in_flight() == 0) {
        if (scheduler_.idle()) return;
        // Nothing can go out before the deadline (only retries after it).
        const auto wake = scheduler_.next_wake();
        if (!wake || *wake >= deadline) {
          scheduler_.abandon(now);
          return;
        }
      }
    }

    while (auto delivery = scheduler_.next_delivery(now)) {
      {
        std::lock_guard lock(jobs_mutex_);
        jobs_.push_back(std::move(*delivery));
      }
      jobs_ready_.notify_one();
    }
  }
}

void Sender::work() {
  while (true) {
    Delivery job;
    {
      std::unique_lock lock(jobs_mutex_);
      jobs_ready_.wait(lock, [&] { return !jobs_.empty() || workers_exit_; });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    AttemptResult result = transport_.post(job, cancel_);
    {
      std::lock_guard lock(mutex_);
      results_.emplace_back(job.id, std::move(result));
    }
    wake_.notify_one();
  }
}

}  // namespace pws::webhooks
