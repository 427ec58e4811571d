// ScenarioBase: what every scenario shares: the WsPool and its listener
// hooks for the set-up phase, the connect phase (open N connections with at
// most --max-inflight handshakes at once, within --timeout), the server
// sampler, progress lines, and the common part of the result. Internal to
// lib/bench.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench.hpp"
#include "bench/proc_sampler.hpp"
#include "bench/result_json.hpp"
#include "bench/ws_pool.hpp"

namespace pws::bench {

class ScenarioBase : public PoolListener {
 public:
  ScenarioBase(const Options& options, std::size_t slots);

 protected:
  /// Channel of connection i of the connect phase.
  virtual std::string channel_for(std::uint32_t i) const;
  void on_subscribed(std::uint32_t idx, std::int64_t now) override;
  void on_failed(std::uint32_t idx, Failure kind) override;

  /// Opens connections 0..n-1 and waits for them to subscribe or fail.
  void connect_phase(std::uint32_t n);
  /// One progress line per second on stderr (when asked), `text` after the phase name.
  bool progress_due();
  void progress(const char* phase, std::int64_t since, const std::string& text);

  /// connections, subscribed, connect_rate_per_s, connect_failures, kinds.
  void add_connect_fields(ResultJson& j) const;
  /// Problems common to every scenario (failures, disconnects).
  void add_common_problems(Outcome& out) const;
  /// Unreachable when nothing subscribed and every failure was a refused connect.
  void settle_verdict(Outcome& out) const;

  const Options& o_;
  WsPool pool_;
  ProcSampler server_;
  std::uint32_t opened_ = 0;
  std::uint32_t subscribed_ = 0;
  std::int64_t connect_start_ = 0;
  std::int64_t last_subscribed_ = 0;
  std::int64_t next_progress_ = 0;
  std::optional<long> rss_before_connect_;
  std::optional<long> rss_after_connect_;
  std::optional<std::int64_t> server_cpu_connect_us_;
  std::int64_t self_cpu_connect_us_ = 0;
};

std::optional<double> ratio(double num, double den);

}  // namespace pws::bench
