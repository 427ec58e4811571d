// Sender: the threads of webhook delivery. One dispatcher thread owns the
// DeliveryScheduler; a fixed pool of workers carries out its Deliveries
// through a Transport (blocking HTTP), so a slow endpoint holds a worker,
// never the event loop. The loop hands events over with offer(), which
// takes a mutex for a push and never waits for space: a full queue refuses.
//
//   event loop --offer--> inbox (bounded) --> dispatcher --jobs--> workers
//                                                  ^------ results ----'
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "webhooks/clock.hpp"
#include "webhooks/delivery_scheduler.hpp"
#include "webhooks/event_sink.hpp"
#include "webhooks/transport.hpp"

namespace pws::webhooks {

struct SenderSettings {
  DeliverySettings delivery;
  /// Events handed over but not yet taken by the dispatcher, over all apps.
  /// The dispatcher never blocks on the network, so this fills only when it
  /// is starved of CPU.
  std::size_t inbox_capacity = 65'536;
  /// The same in bytes of event text (client events carry up to their
  /// payload limit each).
  std::size_t inbox_capacity_bytes = 64u << 20;
};

class Sender final : public EventSink {
 public:
  /// `transport` and `clock` must outlive the Sender; `log` is called from
  /// the dispatcher thread.
  Sender(SenderSettings settings, Transport& transport, const Clock& clock, LogFn log);
  ~Sender() override;
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  /// Starts the threads (once); before that, offer() refuses.
  void start();
  bool started() const noexcept { return started_; }

  bool offer(QueuedEvent&& event) override;

  /// Delivers what is queued for up to `grace`, then drops the rest (logged
  /// and counted) and joins the threads. Requests in flight are cancelled
  /// at the deadline, so this returns shortly after it. Idempotent.
  void stop(std::chrono::milliseconds grace);

 private:
  void dispatch();
  void work();

  SenderSettings settings_;
  Transport& transport_;
  const Clock& clock_;
  DeliveryScheduler scheduler_;  // dispatcher thread only

  // The dispatcher's inbox: events from the loop, results from the workers.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<QueuedEvent> events_;
  std::size_t events_bytes_ = 0;
  std::vector<std::pair<std::uint64_t, AttemptResult>> results_;
  bool accepting_ = false;
  bool stop_requested_ = false;
  std::int64_t stop_deadline_ = 0;

  // Jobs for the workers: never more than there are workers.
  std::mutex jobs_mutex_;
  std::condition_variable jobs_ready_;
  std::deque<Delivery> jobs_;
  bool workers_exit_ = false;

  std::atomic<bool> cancel_{false};  // in-flight requests give up (stop deadline)
  bool started_ = false;
  bool stopped_ = false;
  std::thread dispatcher_;
  std::vector<std::thread> workers_;
};

}  // namespace pws::webhooks
