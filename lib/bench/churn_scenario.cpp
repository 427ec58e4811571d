// The churn scenario of hold_scenarios.hpp: cycles of connect, subscribe,
// unsubscribe and close on an absolute schedule of R per second. A slot of
// the pool is one cycle in progress; slots are reused from the loop (never
// from a callback, see ws_pool.hpp).
#include <algorithm>
#include <cstdio>

#include "bench/hold_scenarios.hpp"
#include "bench/latency_histogram.hpp"
#include "bench/scenario_base.hpp"

namespace pws::bench {

namespace {

class ChurnScenario : public ScenarioBase {
 public:
  explicit ChurnScenario(const Options& options)
      : ScenarioBase(options, options.max_inflight), started_at_(options.max_inflight, 0) {
    for (std::uint32_t i = options.max_inflight; i > 0; --i) free_.push_back(i - 1);
  }

  Outcome run();

 private:
  void on_subscribed(std::uint32_t idx, std::int64_t now) override {
    ScenarioBase::on_subscribed(idx, now);
    pool_.close_gracefully(idx, true);
  }
  void on_closed(std::uint32_t idx, bool clean) override {
    ++cycles_;
    if (!clean) ++unclean_closes_;
    cycle_time_.add(now_ns() - started_at_[idx]);
    free_.push_back(idx);
  }
  void on_failed(std::uint32_t idx, Failure) override { free_.push_back(idx); }
  void on_lost(std::uint32_t idx) override { free_.push_back(idx); }

  std::vector<std::uint32_t> free_;
  std::vector<std::int64_t> started_at_;
  std::uint64_t started_ = 0;
  std::uint64_t cycles_ = 0;
  std::uint64_t unclean_closes_ = 0;
  std::uint64_t late_starts_ = 0;  // cycles started more than 100 ms after their time (no free slot)
  std::int64_t max_lag_ = 0;      // the latest of them, ns
  LatencyHistogram cycle_time_;
};

Outcome ChurnScenario::run() {
  const auto rss_before = server_.rss_kb();
  const auto cpu_before = server_.cpu_us();
  const std::int64_t self_before = self_cpu_us();
  long rss_peak = rss_before.value_or(0);
  // RSS once the churn reached its steady state (after 10% of the run, at
  // most 5 s): the allocator's high-water mark is reached then, so growth
  // after it is what a leak would show.
  std::optional<long> rss_warm;
  const std::int64_t warm_at = static_cast<std::int64_t>(std::min(5.0, o_.duration_s * 0.1) * kSecond);
  const std::int64_t start = now_ns();
  connect_start_ = start;
  next_progress_ = start + kSecond;
  const double interval = double(kSecond) / o_.rate;
  const std::int64_t stop_starting = start + static_cast<std::int64_t>(o_.duration_s * kSecond);
  if (o_.progress)
    std::fprintf(stderr, "[churn] %.0f connect+subscribe+unsubscribe+close cycles/s for %.0f s, at most %u at once\n",
                 o_.rate, o_.duration_s, o_.max_inflight);
  while (true) {
    const std::int64_t now = now_ns();
    while (now < stop_starting) {
      const std::int64_t due = start + static_cast<std::int64_t>(double(started_) * interval);
      if (now < due) break;
      if (free_.empty()) break;  // every slot busy: the start waits (and counts as late)
      const std::int64_t lag = now - due;
      max_lag_ = std::max(max_lag_, lag);
      if (lag > 100 * kMilli) ++late_starts_;
      const std::uint32_t slot = free_.back();
      free_.pop_back();
      started_at_[slot] = now;
      const std::uint64_t k = started_++;
      ++opened_;
      pool_.open(slot, k, "bench-churn-" + std::to_string(k % std::max(1u, o_.channels)), true);
    }
    if (now >= stop_starting && free_.size() == pool_.slots()) break;
    if (now >= stop_starting + static_cast<std::int64_t>(o_.timeout_s * kSecond)) {
      pool_.expire_setup();
      break;
    }
    const std::int64_t due = start + static_cast<std::int64_t>(double(started_) * interval);
    pool_.poll(std::min(std::max(due, now), next_progress_));
    if (now_ns() >= next_progress_) {
      if (const auto rss = server_.rss_kb()) rss_peak = std::max(rss_peak, *rss);
    }
    if (!rss_warm && now_ns() - start >= warm_at) rss_warm = server_.rss_kb();
    if (progress_due())
      progress("churn", start,
               "cycles " + std::to_string(cycles_) + "  in progress " +
                   std::to_string(pool_.slots() - free_.size()) + "  failed " + std::to_string(pool_.failures()) +
                   (rss_before ? "  server RSS " + std::to_string(rss_peak) + " KB peak" : ""));
  }
  const std::int64_t end = now_ns();
  const auto server_cpu = cpu_delta(cpu_before, server_.cpu_us());
  const std::int64_t self_cpu = self_cpu_us() - self_before;
  const std::uint64_t closing_forced = pool_.close_all(3 * kSecond);
  // Let the server finish closing before the last RSS reading.
  const std::int64_t settle = now_ns() + 2 * kSecond;
  while (now_ns() < settle) pool_.poll(settle);
  const auto rss_after = server_.rss_kb();

  const double secs = double(end - start) / kSecond;
  Outcome out;
  ResultJson j;
  j.add("scenario", "churn");
  j.add("rate", std::optional<double>(o_.rate), 3);
  j.add("duration_s", std::optional<double>(secs), 2);
  j.add("max_inflight", o_.max_inflight);
  j.add("started", started_);
  j.add("cycles", cycles_);
  j.add("cycles_per_s", ratio(double(cycles_), secs), 1);
  j.add("connect_failures", pool_.failures());
  ResultJson kinds;
  for (std::size_t k = 0; k < kFailureKinds; ++k) kinds.add(kFailureNames[k], pool_.failure_kinds()[k]);
  j.add("connect_failure_kinds", kinds);
  j.add("unclean_closes", unclean_closes_);
  j.add("late_starts", late_starts_);
  j.add("max_start_lag_ms", std::optional<double>(double(max_lag_) / kMilli), 1);
  ResultJson cycle;
  auto ms = [](std::optional<std::int64_t> ns) -> std::optional<double> {
    if (!ns) return std::nullopt;
    return double(*ns) / kMilli;
  };
  cycle.add("p50", ms(cycle_time_.percentile(0.5)), 3)
      .add("p99", ms(cycle_time_.percentile(0.99)), 3)
      .add("max", ms(cycle_time_.percentile(1.0)), 3);
  j.add("cycle_ms", cycle);
  auto as_int = [](const std::optional<long>& v) { return v ? std::optional<std::int64_t>(*v) : std::nullopt; };
  j.add("server_rss_kb_before", as_int(rss_before));
  j.add("server_rss_kb_peak", rss_before ? std::optional<std::int64_t>(rss_peak) : std::nullopt);
  j.add("server_rss_kb_after", as_int(rss_after));
  j.add("server_rss_drift_percent",
        rss_before && rss_after ? ratio(100.0 * double(*rss_after - *rss_before), double(*rss_before)) : std::nullopt, 2);
  j.add("server_rss_kb_warm", as_int(rss_warm));
  j.add("server_rss_drift_after_warm_percent",
        rss_warm && rss_after ? ratio(100.0 * double(*rss_after - *rss_warm), double(*rss_warm)) : std::nullopt, 2);
  j.add("server_cpu_us_per_cycle", server_cpu && cycles_ ? ratio(double(*server_cpu), double(cycles_)) : std::nullopt, 2);
  j.add("generator_cpu_us_per_cycle", cycles_ ? ratio(double(self_cpu), double(cycles_)) : std::nullopt, 2);
  out.json = j.text();
  if (cycles_ == 0) out.problems.push_back("no cycle completed");
  add_common_problems(out);
  if (closing_forced > 0) out.problems.push_back(std::to_string(closing_forced) + " closes not answered");
  settle_verdict(out);
  return out;
}

}  // namespace

Outcome run_churn_scenario(const Options& options) {
  ChurnScenario scenario(options);
  return scenario.run();
}

}  // namespace pws::bench
