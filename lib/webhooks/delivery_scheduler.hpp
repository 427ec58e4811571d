// DeliveryScheduler: every decision of webhook delivery, with no threads,
// sockets or clocks of its own, so the unit tests drive it with a manual
// time and a fake transport. The sender (sender.hpp) calls it from one
// thread and carries its Deliveries out on a small worker pool.
//
// What it decides (protocol reference 7.2, pws.toml(5)):
//  - vacate delay: channel_vacated / member_removed are held for the app's
//    webhook_vacate_delay_ms; a channel_occupied / member_added of the same
//    channel (and user) within it cancels both;
//  - one queue per endpoint (app id + URL) with at most one request in
//    flight, so events arrive in order; at most max_pending_events wait
//    (including those in flight), newer ones are dropped;
//  - batching: with webhook_batching, up to 100 events that happened within
//    webhook_batching_window_ms of the first go in one request; otherwise one
//    event per request;
//  - retries: a failed request is sent again, the same bytes, after 1, 2,
//    4 ... s (at most 60 s apart) while that stays within retry_window of its
//    first attempt; then its events are dropped (one log line). Events that
//    waited longer than retry_window behind requests that failed so are
//    dropped unsent (logged at most every 10 s per endpoint);
//  - workers: at most `workers` requests at once, and endpoints that are
//    retrying use at most workers - 1 of them, so one is always left for
//    endpoints that work;
//  - stop: held events are released and batching windows end at once; what
//    is not delivered by the deadline is dropped and logged per endpoint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "webhooks/endpoint.hpp"
#include "webhooks/signed_request.hpp"
#include "webhooks/event_sink.hpp"

namespace pws::webhooks {

struct DeliverySettings {
  std::int64_t request_timeout_ms = 10'000;
  std::int64_t retry_window_ms = 300'000;
  std::size_t max_pending_events = 10'000;  ///< per endpoint, in flight included
  std::size_t max_batch_events = 100;
  std::int64_t first_retry_delay_ms = 1'000;
  std::int64_t max_retry_delay_ms = 60'000;
  std::size_t workers = 4;
  /// Vacancy events held at once over all apps; beyond it they are not held.
  std::size_t max_held_events = 10'000;
};

/// One request attempt for a worker to carry out.
struct Delivery {
  std::uint64_t id = 0;
  std::shared_ptr<const Endpoint> endpoint;
  std::shared_ptr<const SignedRequest> request;  ///< the same for every attempt of a batch
  std::int64_t timeout_ms = 0;
  std::size_t events = 0;
  int attempt = 0;  ///< 1 for the first
};

struct AttemptResult {
  bool delivered = false;  ///< a 2xx answer
  std::string failure;     ///< otherwise why: "HTTP 500", "no answer from host:port: timed out after 10 s"
};

class DeliveryScheduler {
 public:
  DeliveryScheduler(DeliverySettings settings, LogFn log);

  /// An event from the observer; `now` is monotonic ms.
  void accept(QueuedEvent event, std::int64_t now);

  /// The next request to send now, if a worker is free and an endpoint is
  /// due; call until nullopt. The endpoint is in flight until complete().
  std::optional<Delivery> next_delivery(std::int64_t now);

  /// The outcome of delivery `id`.
  void complete(std::uint64_t id, const AttemptResult& result, std::int64_t now);

  /// When next_delivery may next have something (a window ending, a retry,
  /// a held event due); nullopt when only complete() or accept() can.
  std::optional<std::int64_t> next_wake() const;

  /// Stop: release held events and end batching windows now; requests past
  /// `deadline` are not started, and shorter timeouts keep them within it.
  void begin_shutdown(std::int64_t now, std::int64_t deadline);
  bool stopping() const noexcept { return stopping_; }

  /// Drops everything left (counted and logged per endpoint): the stop
  /// deadline passed. Deliveries still in flight are counted as dropped too.
  void abandon(std::int64_t now);

  /// Nothing held, waiting or in flight.
  bool idle() const;
  std::size_t in_flight() const noexcept { return in_flight_.size(); }

 private:
  struct PendingEvent {
    std::shared_ptr<const std::string> json;  // shared by every endpoint of the event
    std::shared_ptr<const Endpoint> endpoint;  // the configuration it was produced under
    std::int64_t time_ms;
    std::int64_t at_ms;
    std::int64_t queued_ms;
  };
  struct Batch {
    std::shared_ptr<const Endpoint> endpoint;
    std::shared_ptr<const SignedRequest> request;
    std::size_t events = 0;
    int attempts = 0;
    std::int64_t first_attempt_ms = 0;
    std::int64_t next_attempt_ms = 0;
  };
  struct Queue {
    std::deque<PendingEvent> pending;
    std::optional<Batch> batch;  // formed, not yet delivered (in flight or waiting to retry)
    bool in_flight = false;
    bool failing = false;  // the last batch was dropped after its retries; no success since
    std::string label;
    std::shared_ptr<AppFigures> figures;
    std::uint64_t unlogged_drops = 0;
    bool drop_logged = false;
    std::int64_t last_drop_log_ms = 0;
  };
  struct InFlight {
    std::string queue_key;
    bool retry;  // counts against the retry share of the workers
  };
  struct Held {
    QueuedEvent event;
    std::string key;
  };

  void fan_out(const QueuedEvent& event, std::int64_t now);
  Queue& queue_for(const Endpoint& endpoint);
  std::optional<std::int64_t> due_time(const Queue& queue) const;
  void form_batch(Queue& queue, std::int64_t now);
  void drop_batch(Queue& queue, std::string_view why);
  void note_drops(Queue& queue, std::uint64_t count, std::string_view why, std::int64_t now);
  void release_held(std::int64_t now, bool all);
  std::int64_t retry_delay(int failed_attempts) const;

  DeliverySettings settings_;
  LogFn log_;
  std::map<std::string, Queue> queues_;
  std::unordered_map<std::uint64_t, InFlight> in_flight_;
  std::size_t retries_in_flight_ = 0;
  std::uint64_t next_id_ = 0;
  // Held vacancy events by release time, and by what cancels them.
  std::multimap<std::int64_t, Held> held_;
  std::unordered_map<std::string, std::multimap<std::int64_t, Held>::iterator> held_by_key_;
  bool stopping_ = false;
  std::int64_t stop_deadline_ = 0;
};

}  // namespace pws::webhooks
