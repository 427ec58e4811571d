// The shared scenario plumbing of scenario_base.hpp.
#include "bench/scenario_base.hpp"

#include <cstdio>

namespace pws::bench {

std::optional<double> ratio(double num, double den) {
  if (!(den > 0)) return std::nullopt;
  return num / den;
}

ScenarioBase::ScenarioBase(const Options& options, std::size_t slots)
    : o_(options),
      pool_(WsPool::Settings{options.targets, options.key, options.sources, options.max_inflight, options.batch_ms},
            *this, slots),
      server_(options.server_pid) {}

std::string ScenarioBase::channel_for(std::uint32_t i) const {
  return "bench-" + std::to_string(i % std::max(1u, o_.channels));
}

void ScenarioBase::on_subscribed(std::uint32_t, std::int64_t now) {
  ++subscribed_;
  last_subscribed_ = now;
}

void ScenarioBase::on_failed(std::uint32_t, Failure) {}

bool ScenarioBase::progress_due() {
  const std::int64_t now = now_ns();
  if (now < next_progress_) return false;
  next_progress_ = now + kSecond;
  return o_.progress;
}

void ScenarioBase::progress(const char* phase, std::int64_t since, const std::string& text) {
  std::fprintf(stderr, "[%s %s %6.1fs] %s\n", o_.scenario.c_str(), phase, double(now_ns() - since) / kSecond,
               text.c_str());
}

void ScenarioBase::connect_phase(std::uint32_t n) {
  rss_before_connect_ = server_.rss_kb();
  const auto cpu_before = server_.cpu_us();
  self_cpu_connect_us_ = self_cpu_us();
  connect_start_ = now_ns();
  next_progress_ = connect_start_ + kSecond;
  const std::int64_t deadline = connect_start_ + static_cast<std::int64_t>(o_.timeout_s * kSecond);
  while (true) {
    while (pool_.can_open() && opened_ < n) {
      const std::uint32_t i = opened_++;
      pool_.open(i, i, channel_for(i), i % o_.probe_every == 0);
    }
    if (opened_ == n && pool_.inflight() == 0) break;
    if (now_ns() >= deadline) {
      pool_.expire_setup();
      break;
    }
    pool_.poll(std::min(deadline, next_progress_));
    if (progress_due())
      progress("connect", connect_start_,
               "opened " + std::to_string(opened_) + "/" + std::to_string(n) + "  subscribed " +
                   std::to_string(subscribed_) + "  in flight " + std::to_string(pool_.inflight()) + "  failed " +
                   std::to_string(pool_.failures()));
  }
  server_cpu_connect_us_ = cpu_delta(cpu_before, server_.cpu_us());
  self_cpu_connect_us_ = self_cpu_us() - self_cpu_connect_us_;
  // The server may still be freeing handshake buffers: a short pause keeps
  // them out of the per-connection figure.
  const std::int64_t settle = now_ns() + 200 * kMilli;
  while (now_ns() < settle) pool_.poll(settle);
  rss_after_connect_ = server_.rss_kb();
  if (o_.progress) {
    const double secs = double(last_subscribed_ - connect_start_) / kSecond;
    std::fprintf(stderr, "[%s] connect phase: %u subscribed, %llu failed, %.1f connect+subscribe/s\n",
                 o_.scenario.c_str(), subscribed_, static_cast<unsigned long long>(pool_.failures()),
                 subscribed_ && secs > 0 ? subscribed_ / secs : 0.0);
  }
}

void ScenarioBase::add_connect_fields(ResultJson& j) const {
  const double secs = double(last_subscribed_ - connect_start_) / kSecond;
  j.add("connections", opened_);
  j.add("subscribed", subscribed_);
  j.add("connect_rate_per_s", subscribed_ ? ratio(subscribed_, secs) : std::nullopt, 1);
  j.add("connect_failures", pool_.failures());
  ResultJson kinds;
  for (std::size_t k = 0; k < kFailureKinds; ++k) kinds.add(kFailureNames[k], pool_.failure_kinds()[k]);
  j.add("connect_failure_kinds", kinds);
  j.add("sources", o_.sources);
  j.add("targets", static_cast<unsigned>(o_.targets.size()));
}

void ScenarioBase::add_common_problems(Outcome& out) const {
  if (pool_.failures() > 0) out.problems.push_back(std::to_string(pool_.failures()) + " connections failed");
  if (pool_.disconnects() > 0)
    out.problems.push_back(std::to_string(pool_.disconnects()) + " subscribed connections were lost");
}

void ScenarioBase::settle_verdict(Outcome& out) const {
  if (out.problems.empty()) {
    out.verdict = Verdict::kOk;
    return;
  }
  out.verdict = Verdict::kFailed;
  const auto& kinds = pool_.failure_kinds();
  if (subscribed_ == 0 && kinds[kConnectError] > 0 && kinds[kConnectError] == pool_.failures())
    out.verdict = Verdict::kUnreachable;
}

}  // namespace pws::bench
