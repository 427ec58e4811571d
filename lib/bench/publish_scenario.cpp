// The fanout and channels scenarios of publish_scenario.hpp.
#include "bench/publish_scenario.hpp"

#include <algorithm>
#include <cstdio>
#include <memory>

#include "bench/latency_histogram.hpp"
#include "bench/scenario_base.hpp"
#include "bench/trigger_client.hpp"

namespace pws::bench {

namespace {

class PublishScenario : public ScenarioBase {
 public:
  explicit PublishScenario(const Options& options) : ScenarioBase(options, options.connections) {
    per_conn_next_.assign(options.connections, 0);
    for (unsigned c = 0; c < options.channels; ++c) channel_names_.push_back("bench-" + std::to_string(c));
  }

  Outcome run();

 private:
  bool on_event(std::uint32_t idx, std::string_view msg, std::int64_t now) override;
  void on_extra(std::uint64_t tag, std::uint32_t events) override {
    triggers_[tag - WsPool::kExtraTagBase]->on_event(events);
  }

  void publish_phase();
  void handle_trigger_results();
  TriggerClient* idle_trigger();
  std::uint64_t expected_for(std::uint64_t seq) const { return subs_per_channel_[seq % o_.channels]; }
  std::uint64_t duplicates() const;

  std::vector<std::string> channel_names_;
  std::vector<std::unique_ptr<TriggerClient>> triggers_;
  std::vector<std::uint64_t> per_conn_next_;     // next expected seq per connection
  std::vector<std::uint32_t> subs_per_channel_;  // subscribed when publishing started
  std::uint64_t subscribers_ = 0;
  std::uint64_t expected_total_ = 0;
  std::vector<std::uint32_t> counts_;  // deliveries per event
  std::vector<bool> event_ok_;         // trigger answered 200
  std::uint64_t complete_ok_ = 0;      // events both 200 and fully delivered
  std::uint64_t next_seq_ = 0;
  std::uint64_t triggers_done_ = 0;
  std::uint64_t triggers_ok_ = 0;
  std::uint64_t trigger_failures_ = 0;
  std::uint64_t trigger_auth_failures_ = 0;
  unsigned trigger_logs_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t unexpected_ = 0;
  LatencyHistogram latency_;
  LatencyHistogram trigger_response_;
  std::int64_t publish_start_ = 0;
  std::int64_t first_trigger_ = 0;
  std::int64_t last_trigger_ = 0;
  std::int64_t last_trigger_done_ = 0;
  std::int64_t last_delivery_ = 0;
  bool timed_out_ = false;
  std::optional<std::int64_t> server_cpu_publish_us_;
  std::int64_t self_cpu_publish_us_ = 0;
  std::optional<long> rss_end_;
};

bool PublishScenario::on_event(std::uint32_t idx, std::string_view msg, std::int64_t now) {
  std::uint64_t seq = 0;
  std::int64_t sent = 0;
  if (!find_bench_event(msg, seq, sent)) return false;
  if (seq >= counts_.size()) {
    ++unexpected_;
    return true;
  }
  ++delivered_;
  last_delivery_ = now;
  // With one publisher each event is accepted before the next is sent, so
  // every subscriber must see its channel's events in order; with several,
  // concurrent triggers have no defined order.
  if (seq < per_conn_next_[idx] && o_.trigger_connections == 1) ++out_of_order_;
  per_conn_next_[idx] = seq + 1;
  if (++counts_[seq] == expected_for(seq) && event_ok_[seq]) ++complete_ok_;
  if (pool_.probe(idx)) latency_.add(now - sent);
  return true;
}

TriggerClient* PublishScenario::idle_trigger() {
  for (auto& t : triggers_)
    if (t->idle()) return t.get();
  return nullptr;
}

void PublishScenario::handle_trigger_results() {
  for (auto& publisher : triggers_) {
    for (const auto& r : publisher->results()) {
      ++triggers_done_;
      last_trigger_done_ = r.done_ns;
      trigger_response_.add(r.done_ns - r.sent_ns);
      if (r.status == 200) {
        ++triggers_ok_;
        event_ok_[r.seq] = true;
        if (counts_[r.seq] >= expected_for(r.seq)) ++complete_ok_;
        continue;
      }
      ++trigger_failures_;
      if (r.status == 401 || r.status == 403) ++trigger_auth_failures_;
      if (++trigger_logs_ <= 5) {
        const std::string what = r.status ? "HTTP " + std::to_string(r.status) : "no response:";
        std::fprintf(stderr, "pws bench: trigger %llu failed: %s %s\n", static_cast<unsigned long long>(r.seq),
                     what.c_str(), r.detail.c_str());
      }
    }
    publisher->results().clear();
  }
}

void PublishScenario::publish_phase() {
  subs_per_channel_.assign(o_.channels, 0);
  for (std::uint32_t i = 0; i < pool_.slots(); ++i) {
    if (pool_.state(i) != ConnState::kSubscribed) continue;
    ++subs_per_channel_[i % o_.channels];
    ++subscribers_;
  }
  counts_.assign(o_.events, 0);
  event_ok_.assign(o_.events, false);
  for (std::uint64_t s = 0; s < o_.events; ++s) expected_total_ += expected_for(s);
  latency_.reserve(std::size_t(o_.events) * (subscribers_ / o_.probe_every + 1) / std::max(1u, o_.channels) + 16);
  if (subscribers_ == 0) return;

  const auto cpu_before = server_.cpu_us();
  self_cpu_publish_us_ = self_cpu_us();
  publish_start_ = now_ns();
  next_progress_ = publish_start_ + kSecond;
  const bool paced = o_.rate > 0;
  const double interval = paced ? double(kSecond) / o_.rate : 0;
  // The run ends --timeout after the later of the scheduled end and the
  // last sign of progress (a trigger answered, a delivery): a server that
  // keeps up more slowly than asked is measured to the end, one that stalls
  // is given up on.
  const double schedule_s = paced ? o_.events / o_.rate : 0;
  const std::int64_t scheduled_end = publish_start_ + static_cast<std::int64_t>(schedule_s * kSecond);
  const std::int64_t timeout_ns = static_cast<std::int64_t>(o_.timeout_s * kSecond);
  auto deadline_now = [&] {
    return std::max({scheduled_end, last_trigger_done_, last_delivery_, publish_start_}) + timeout_ns;
  };
  std::int64_t deadline = deadline_now();

  while (true) {
    // Absolute schedule: a trigger that had to wait for a slow response is
    // sent as soon as a publisher is free, so the mean rate holds whenever
    // the server can sustain it.
    while (next_seq_ < o_.events) {
      const std::int64_t due = publish_start_ + static_cast<std::int64_t>(double(next_seq_) * interval);
      TriggerClient* publisher = idle_trigger();
      const std::int64_t now = now_ns();
      if (!publisher || now < due) break;
      if (next_seq_ == 0) first_trigger_ = now;
      last_trigger_ = now;
      publisher->trigger(next_seq_, channel_names_[next_seq_ % o_.channels]);
      ++next_seq_;
      handle_trigger_results();  // a connect failure reports at once
    }
    // Every event is out: read the tail as it arrives so that the end of
    // the delivery window is measured, not the end of a batch period.
    if (triggers_done_ == o_.events) pool_.follow_bulk();
    if (triggers_done_ == o_.events && complete_ok_ == triggers_ok_) break;
    deadline = deadline_now();
    if (now_ns() >= deadline) {
      timed_out_ = true;
      break;
    }
    std::int64_t wake = std::min(deadline, next_progress_);
    if (next_seq_ < o_.events && idle_trigger())
      wake = std::min(wake, publish_start_ + static_cast<std::int64_t>(double(next_seq_) * interval));
    pool_.poll(wake);
    handle_trigger_results();
    if (progress_due())
      progress("publish", publish_start_,
               "triggers " + std::to_string(next_seq_) + "/" + std::to_string(o_.events) + " (ok " +
                   std::to_string(triggers_ok_) + ", failed " + std::to_string(trigger_failures_) + ")  delivered " +
                   std::to_string(delivered_) + "/" + std::to_string(expected_total_));
  }
  if (timed_out_) {
    pool_.drain(500 * kMilli);
    handle_trigger_results();
    std::fprintf(stderr, "pws bench: delivery phase timed out after %.1f s\n",
                 double(now_ns() - publish_start_) / kSecond);
  }
  self_cpu_publish_us_ = self_cpu_us() - self_cpu_publish_us_;
  server_cpu_publish_us_ = cpu_delta(cpu_before, server_.cpu_us());
  rss_end_ = server_.rss_kb();
}

std::uint64_t PublishScenario::duplicates() const {
  // Deliveries beyond one per subscriber and event. (A duplicate that hides a
  // loss of the same event elsewhere is not seen; the order check catches the
  // usual cause, a re-sent event, when there is one publisher.)
  std::uint64_t extra = 0;
  for (std::uint64_t s = 0; s < counts_.size(); ++s) {
    const std::uint64_t want = expected_for(s);
    extra += counts_[s] > want ? counts_[s] - want : 0;
  }
  return extra;
}

Outcome PublishScenario::run() {
  for (unsigned k = 0; k < o_.trigger_connections; ++k) {
    triggers_.push_back(std::make_unique<TriggerClient>(
        TriggerClient::Settings{o_.api, o_.app_id, o_.key, o_.secret, "bench"}, pool_.epoll_fd(),
        WsPool::kExtraTagBase + k));
  }
  if (o_.progress)
    std::fprintf(stderr, "[%s] opening %u connections to %zu server(s), %u channel(s), %u source address(es)\n",
                 o_.scenario.c_str(), o_.connections, o_.targets.size(), o_.channels, o_.sources);
  connect_phase(o_.connections);
  if (o_.progress)
    std::fprintf(stderr, "[%s] publishing %u events %s over %u trigger connection(s)\n", o_.scenario.c_str(), o_.events,
                 o_.rate > 0 ? ("at " + std::to_string(o_.rate) + "/s").c_str() : "as fast as answered",
                 o_.trigger_connections);
  publish_phase();

  Outcome out;
  const double window = double(last_delivery_ - first_trigger_) / kSecond;
  const double trigger_window = double(last_trigger_done_ - first_trigger_) / kSecond;
  const std::uint64_t dups = duplicates();
  auto ms = [](std::optional<std::int64_t> ns) -> std::optional<double> {
    if (!ns) return std::nullopt;
    return double(*ns) / kMilli;
  };

  ResultJson j;
  j.add("scenario", o_.scenario);
  add_connect_fields(j);
  j.add("channels", o_.channels);
  j.add("subscribers_per_channel", ratio(double(subscribers_), o_.channels), 2);
  j.add("events", o_.events);
  j.add("rate", o_.rate > 0 ? std::optional<double>(o_.rate) : std::nullopt, 3);
  j.add("trigger_connections", o_.trigger_connections);
  j.add("triggers_ok", triggers_ok_);
  j.add("trigger_failures", trigger_failures_);
  j.add("api_requests_per_s", triggers_done_ > 1 ? ratio(double(triggers_done_), trigger_window) : std::nullopt, 1);
  ResultJson response;
  response.add("p50", ms(trigger_response_.percentile(0.5)), 3)
      .add("p99", ms(trigger_response_.percentile(0.99)), 3)
      .add("max", ms(trigger_response_.percentile(1.0)), 3);
  j.add("trigger_response_ms", response);
  j.add("expected_deliveries", expected_total_);
  j.add("delivered", delivered_);
  j.add("delivery_ratio", ratio(double(delivered_ - dups), double(expected_total_)), 6);
  j.add("delivered_per_s", delivered_ ? ratio(double(delivered_), window) : std::nullopt, 1);
  ResultJson latency;
  latency.add("p50", ms(latency_.percentile(0.5)), 3)
      .add("p90", ms(latency_.percentile(0.9)), 3)
      .add("p99", ms(latency_.percentile(0.99)), 3)
      .add("max", ms(latency_.percentile(1.0)), 3);
  j.add("latency_ms", latency);
  j.add("latency_samples", static_cast<std::uint64_t>(latency_.count()));
  j.add("probe_every", o_.probe_every);
  j.add("batch_ms", o_.batch_ms);
  j.add("duplicates", dups);
  if (o_.trigger_connections == 1) j.add("out_of_order", out_of_order_);
  else j.add("out_of_order", std::optional<std::int64_t>());
  j.add("unexpected_events", unexpected_);
  j.add("disconnects", pool_.disconnects());
  j.add("timed_out", timed_out_);
  j.add("server_rss_kb_before", rss_before_connect_ ? std::optional<std::int64_t>(*rss_before_connect_) : std::nullopt);
  j.add("server_rss_kb_after_connect", rss_after_connect_ ? std::optional<std::int64_t>(*rss_after_connect_) : std::nullopt);
  j.add("server_rss_kb_end", rss_end_ ? std::optional<std::int64_t>(*rss_end_) : std::nullopt);
  j.add("server_rss_per_connection_kb",
        rss_before_connect_ && rss_after_connect_ && subscribed_
            ? ratio(double(*rss_after_connect_ - *rss_before_connect_), subscribed_)
            : std::nullopt,
        2);
  j.add("server_cpu_us_per_delivery",
        server_cpu_publish_us_ && delivered_ ? ratio(double(*server_cpu_publish_us_), double(delivered_)) : std::nullopt, 3);
  j.add("server_cpu_us_per_api_request",
        server_cpu_publish_us_ && triggers_done_ ? ratio(double(*server_cpu_publish_us_), double(triggers_done_))
                                                 : std::nullopt,
        2);
  j.add("generator_cpu_us_per_delivery", delivered_ ? ratio(double(self_cpu_publish_us_), double(delivered_)) : std::nullopt, 3);
  j.add("generator_cpu_us_per_api_request",
        triggers_done_ ? ratio(double(self_cpu_publish_us_), double(triggers_done_)) : std::nullopt, 2);
  j.add("generator_to_server_cpu_ratio",
        server_cpu_publish_us_ ? ratio(double(self_cpu_publish_us_), double(*server_cpu_publish_us_)) : std::nullopt, 3);
  out.json = j.text();

  if (subscribers_ == 0) out.problems.push_back("no connection subscribed");
  add_common_problems(out);
  if (trigger_failures_ > 0) out.problems.push_back(std::to_string(trigger_failures_) + " triggers failed");
  const std::uint64_t good = delivered_ - dups;
  if (good < expected_total_) out.problems.push_back(std::to_string(expected_total_ - good) + " deliveries lost");
  if (dups > 0) out.problems.push_back(std::to_string(dups) + " duplicate deliveries");
  if (out_of_order_ > 0) out.problems.push_back(std::to_string(out_of_order_) + " deliveries out of order");
  if (unexpected_ > 0) out.problems.push_back(std::to_string(unexpected_) + " unexpected events");
  pool_.close_all(3 * kSecond);
  for (auto& t : triggers_) t->close();
  settle_verdict(out);
  if (trigger_auth_failures_ > 0 && triggers_ok_ == 0) out.verdict = Verdict::kRejected;
  return out;
}

}  // namespace

Outcome run_publish_scenario(const Options& options) {
  PublishScenario scenario(options);
  return scenario.run();
}

}  // namespace pws::bench
