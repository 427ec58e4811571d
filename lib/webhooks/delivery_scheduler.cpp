#include "webhooks/delivery_scheduler.hpp"

#include <algorithm>
#include <vector>

namespace pws::webhooks {

namespace {

constexpr std::int64_t kDropLogIntervalMs = 10'000;

/// What cancels a held vacancy event: the same app, channel and (for
/// members) user.
std::string hold_key(const QueuedEvent& e) {
  const bool member = e.event.type == EventType::MemberAdded || e.event.type == EventType::MemberRemoved;
  std::string key = e.app->app_id;
  key += '\n';
  key += e.event.channel;
  key += member ? "\nm\n" : "\nc";
  if (member) key += e.event.user_id;
  return key;
}

std::string seconds_text(std::int64_t ms) { return std::to_string((ms + 500) / 1000) + " s"; }

}  // namespace

DeliveryScheduler::DeliveryScheduler(DeliverySettings settings, LogFn log)
    : settings_(settings), log_(std::move(log)) {
  if (settings_.workers == 0) settings_.workers = 1;
  if (settings_.max_batch_events == 0) settings_.max_batch_events = 1;
  if (settings_.max_pending_events == 0) settings_.max_pending_events = 1;
}

// ---- Accepting events ----

void DeliveryScheduler::accept(QueuedEvent event, std::int64_t now) {
  if (!event.app) return;
  const EventType type = event.event.type;
  if (paired_type(type)) {
    if (!is_vacancy(type)) {
      // An occupation (or a member's return) within the delay: the pair
      // never happened as far as receivers are concerned (7.2). Checked
      // whatever the current delay is, so a reload cannot strand a hold.
      if (!held_by_key_.empty()) {
        if (auto it = held_by_key_.find(hold_key(event)); it != held_by_key_.end()) {
          held_.erase(it->second);
          held_by_key_.erase(it);
          return;
        }
      }
    } else if (event.app->vacate_delay_ms > 0 && !stopping_) {
      std::string key = hold_key(event);
      if (auto it = held_by_key_.find(key); it != held_by_key_.end()) {
        // Two vacancies without an occupation between: keep the order.
        Held earlier = std::move(it->second->second);
        held_.erase(it->second);
        held_by_key_.erase(it);
        fan_out(earlier.event, now);
      }
      if (held_.size() < settings_.max_held_events) {
        const std::int64_t release = event.event.at_ms + event.app->vacate_delay_ms;
        auto at = held_.emplace(release, Held{std::move(event), key});
        held_by_key_.emplace(std::move(key), at);
        return;
      }
      // Too many held: send it now rather than lose it.
    }
  }
  fan_out(event, now);
}

void DeliveryScheduler::release_held(std::int64_t now, bool all) {
  while (!held_.empty() && (all || held_.begin()->first <= now)) {
    auto first = held_.begin();
    Held held = std::move(first->second);
    held_by_key_.erase(held.key);
    held_.erase(first);
    fan_out(held.event, now);
  }
}

void DeliveryScheduler::fan_out(const QueuedEvent& event, std::int64_t now) {
  const WebhookEvent& e = event.event;
  std::shared_ptr<const std::string> json;  // encoded once, shared by every endpoint
  for (const auto& endpoint : event.app->endpoints) {
    if (!endpoint->wants(e.type, e.channel)) continue;
    Queue& queue = queue_for(*endpoint);
    const std::size_t waiting = queue.pending.size() + (queue.batch ? queue.batch->events : 0);
    if (waiting >= settings_.max_pending_events) {
      endpoint->figures->add(endpoint->figures->dropped);
      note_drops(queue, 1, "queue full: " + std::to_string(waiting) + " events waiting", now);
      continue;
    }
    if (!json) json = std::make_shared<const std::string>(encode_event(e));
    queue.pending.push_back(PendingEvent{json, endpoint, e.time_ms, e.at_ms, now});
    endpoint->figures->add(endpoint->figures->queued);
    endpoint->figures->add_pending(1);
  }
}

DeliveryScheduler::Queue& DeliveryScheduler::queue_for(const Endpoint& endpoint) {
  auto it = queues_.find(endpoint.queue_key);
  if (it == queues_.end()) it = queues_.emplace(endpoint.queue_key, Queue{}).first;
  Queue& queue = it->second;
  // The latest configuration names the endpoint in logs and owns the counters.
  if (queue.figures != endpoint.figures) queue.figures = endpoint.figures;
  if (queue.label != endpoint.label) queue.label = endpoint.label;
  return queue;
}

// ---- Sending ----

std::optional<std::int64_t> DeliveryScheduler::due_time(const Queue& queue) const {
  if (queue.in_flight) return std::nullopt;
  if (queue.batch) return queue.batch->next_attempt_ms;
  if (queue.pending.empty()) return std::nullopt;
  const PendingEvent& first = queue.pending.front();
  if (stopping_ || !first.endpoint->batching || queue.pending.size() >= settings_.max_batch_events)
    return first.queued_ms;
  // The window starts when the first event happened.
  return first.at_ms + first.endpoint->batching_window_ms;
}

std::optional<Delivery> DeliveryScheduler::next_delivery(std::int64_t now) {
  release_held(now, false);
  if (stopping_ && now >= stop_deadline_) return std::nullopt;
  if (in_flight_.size() >= settings_.workers) return std::nullopt;
  const std::size_t retry_share = settings_.workers > 1 ? settings_.workers - 1 : 1;

  // The endpoint that has been due longest, so none starves.
  Queue* chosen = nullptr;
  const std::string* chosen_key = nullptr;
  std::int64_t chosen_due = 0;
  for (auto& [key, queue] : queues_) {
    const auto due = due_time(queue);
    if (!due || *due > now) continue;
    const bool retry = queue.batch && queue.batch->attempts > 0;
    if (retry && retries_in_flight_ >= retry_share) continue;
    if (!chosen || *due < chosen_due) {
      chosen = &queue;
      chosen_key = &key;
      chosen_due = *due;
    }
  }
  if (!chosen) return std::nullopt;
  Queue& queue = *chosen;
  if (!queue.batch) {
    form_batch(queue, now);
    if (!queue.batch) return next_delivery(now);  // everything it had expired
  }

  Batch& batch = *queue.batch;
  const bool retry = batch.attempts > 0;
  if (!retry) batch.first_attempt_ms = now;
  ++batch.attempts;
  queue.in_flight = true;
  const std::uint64_t id = ++next_id_;
  in_flight_.emplace(id, InFlight{*chosen_key, retry});
  if (retry) ++retries_in_flight_;

  Delivery delivery;
  delivery.id = id;
  delivery.endpoint = batch.endpoint;
  delivery.request = batch.request;
  delivery.events = batch.events;
  delivery.attempt = batch.attempts;
  delivery.timeout_ms = settings_.request_timeout_ms;
  if (stopping_) delivery.timeout_ms = std::clamp<std::int64_t>(stop_deadline_ - now, 1, delivery.timeout_ms);
  return delivery;
}

void DeliveryScheduler::form_batch(Queue& queue, std::int64_t now) {
  // Behind an endpoint that let a batch run out of retries, events older
  // than the retry window are given up unsent: otherwise a dead endpoint
  // would deliver hour-old events one window at a time once it recovers.
  if (queue.failing) {
    std::uint64_t expired = 0;
    while (!queue.pending.empty() && now - queue.pending.front().queued_ms > settings_.retry_window_ms) {
      queue.pending.pop_front();
      ++expired;
    }
    if (expired > 0) {
      queue.figures->add(queue.figures->dropped, expired);
      queue.figures->add_pending(-static_cast<std::int64_t>(expired));
      note_drops(queue, expired, "waited longer than the retry window", now);
    }
  }
  if (queue.pending.empty()) return;

  const PendingEvent& first = queue.pending.front();
  const std::size_t limit = first.endpoint->batching ? settings_.max_batch_events : 1;
  // One configuration per request: after a reload, new events wait for a
  // request of their own, signed with the new secret.
  std::size_t count = 0;
  while (count < limit && count < queue.pending.size() && queue.pending[count].endpoint == first.endpoint) ++count;

  std::vector<std::string_view> events;
  events.reserve(count);
  for (std::size_t i = 0; i < count; ++i) events.emplace_back(*queue.pending[i].json);
  // time_ms is when the oldest event of the request happened, so receivers
  // see the whole delay (7.1: set when the event happens, not per retry).
  const Endpoint& endpoint = *first.endpoint;
  auto request = std::make_shared<const SignedRequest>(
      sign_request(encode_body(first.time_ms, events), endpoint.app_key, endpoint.app_secret, endpoint.hook.headers));
  queue.batch = Batch{first.endpoint, std::move(request), count, 0, 0, 0};
  queue.pending.erase(queue.pending.begin(), queue.pending.begin() + static_cast<std::ptrdiff_t>(count));
}

std::int64_t DeliveryScheduler::retry_delay(int failed_attempts) const {
  std::int64_t delay = settings_.first_retry_delay_ms;
  for (int i = 1; i < failed_attempts && delay < settings_.max_retry_delay_ms; ++i) delay *= 2;
  return std::min(delay, settings_.max_retry_delay_ms);
}

void DeliveryScheduler::complete(std::uint64_t id, const AttemptResult& result, std::int64_t now) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;
  const InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  if (flight.retry) --retries_in_flight_;
  auto q = queues_.find(flight.queue_key);
  if (q == queues_.end() || !q->second.batch) return;
  Queue& queue = q->second;
  queue.in_flight = false;
  Batch& batch = *queue.batch;
  AppFigures& figures = *batch.endpoint->figures;

  if (result.delivered) {
    figures.add(figures.sent, batch.events);
    figures.add_pending(-static_cast<std::int64_t>(batch.events));
    if (batch.attempts > 1)
      log_(queue.label + ": delivered " + std::to_string(batch.events) + " events at attempt " +
           std::to_string(batch.attempts));
    queue.batch.reset();
    queue.failing = false;
    return;
  }

  figures.add(figures.failed_attempts);
  const std::int64_t next = now + retry_delay(batch.attempts);
  if (next - batch.first_attempt_ms > settings_.retry_window_ms) {
    drop_batch(queue, "after " + std::to_string(batch.attempts) + " attempts over " +
                          seconds_text(now - batch.first_attempt_ms) + " (last: " + result.failure + ")");
    queue.failing = true;
    return;
  }
  if (batch.attempts == 1)
    log_(queue.label + ": request failed (" + result.failure + "); retrying for up to " +
         seconds_text(settings_.retry_window_ms));
  batch.next_attempt_ms = next;
}

void DeliveryScheduler::drop_batch(Queue& queue, std::string_view why) {
  const Batch& batch = *queue.batch;
  AppFigures& figures = *batch.endpoint->figures;
  figures.add(figures.dropped, batch.events);
  figures.add_pending(-static_cast<std::int64_t>(batch.events));
  log_(queue.label + ": dropped " + std::to_string(batch.events) + " events " + std::string(why));
  queue.batch.reset();
}

void DeliveryScheduler::note_drops(Queue& queue, std::uint64_t count, std::string_view why, std::int64_t now) {
  queue.unlogged_drops += count;
  if (queue.drop_logged && now - queue.last_drop_log_ms < kDropLogIntervalMs) return;
  log_(queue.label + ": dropped " + std::to_string(queue.unlogged_drops) + " events (" + std::string(why) + ")");
  queue.drop_logged = true;
  queue.last_drop_log_ms = now;
  queue.unlogged_drops = 0;
}

std::optional<std::int64_t> DeliveryScheduler::next_wake() const {
  std::optional<std::int64_t> wake;
  auto consider = [&](std::int64_t t) {
    if (!wake || t < *wake) wake = t;
  };
  if (!held_.empty()) consider(held_.begin()->first);
  for (const auto& [key, queue] : queues_)
    if (const auto due = due_time(queue)) consider(*due);
  return wake;
}

// ---- Stopping ----

void DeliveryScheduler::begin_shutdown(std::int64_t now, std::int64_t deadline) {
  stopping_ = true;
  stop_deadline_ = deadline;
  // Vacancies are final now: nobody comes back to a stopping server.
  release_held(now, true);
}

void DeliveryScheduler::abandon(std::int64_t now) {
  release_held(now, true);
  for (auto& [key, queue] : queues_) {
    std::uint64_t left = queue.pending.size() + (queue.batch ? queue.batch->events : 0);
    if (left == 0) continue;
    // Counted on the queue's current figures: the events of one endpoint
    // belong to one app, whichever snapshot they came with.
    queue.figures->add(queue.figures->dropped, left);
    queue.figures->add_pending(-static_cast<std::int64_t>(left));
    log_(queue.label + ": dropped " + std::to_string(left) + " events at shutdown (not delivered in time)");
    queue.pending.clear();
    queue.batch.reset();
    queue.in_flight = false;
  }
  in_flight_.clear();
  retries_in_flight_ = 0;
}

bool DeliveryScheduler::idle() const {
  if (!held_.empty() || !in_flight_.empty()) return false;
  for (const auto& [key, queue] : queues_)
    if (!queue.pending.empty() || queue.batch) return false;
  return true;
}

}  // namespace pws::webhooks
