// The connections scenario of hold_scenarios.hpp.
#include <cstdio>

#include "bench/hold_scenarios.hpp"
#include "bench/scenario_base.hpp"

namespace pws::bench {

namespace {

class ConnectionsScenario : public ScenarioBase {
 public:
  explicit ConnectionsScenario(const Options& options) : ScenarioBase(options, options.connections) {}

  Outcome run() {
    if (o_.progress)
      std::fprintf(stderr, "[connections] opening %u connections to %zu server(s), %u source address(es)\n",
                   o_.connections, o_.targets.size(), o_.sources);
    connect_phase(o_.connections);
    // Hold: the connections stay subscribed (the pool answers pings); any
    // that the server drops shows as a disconnect.
    const std::int64_t hold_start = now_ns();
    const auto cpu_before = server_.cpu_us();
    const std::int64_t self_before = self_cpu_us();
    const std::int64_t until = hold_start + static_cast<std::int64_t>(o_.duration_s * kSecond);
    next_progress_ = hold_start + kSecond;
    while (now_ns() < until) {
      pool_.poll(std::min(until, next_progress_));
      if (progress_due())
        progress("hold", hold_start,
                 "holding " + std::to_string(subscribed_ - pool_.disconnects()) + "  lost " +
                     std::to_string(pool_.disconnects()));
    }
    const auto server_cpu_hold = cpu_delta(cpu_before, server_.cpu_us());
    const std::int64_t self_hold = self_cpu_us() - self_before;
    const auto rss_end = server_.rss_kb();
    std::uint32_t held = 0;
    for (std::uint32_t i = 0; i < pool_.slots(); ++i) held += pool_.state(i) == ConnState::kSubscribed;

    Outcome out;
    ResultJson j;
    j.add("scenario", "connections");
    add_connect_fields(j);
    j.add("held", held);
    j.add("hold_s", std::optional<double>(o_.duration_s), 1);
    j.add("disconnects", pool_.disconnects());
    auto as_int = [](const std::optional<long>& v) { return v ? std::optional<std::int64_t>(*v) : std::nullopt; };
    j.add("server_rss_kb_before", as_int(rss_before_connect_));
    j.add("server_rss_kb_after_connect", as_int(rss_after_connect_));
    j.add("server_rss_kb_end", as_int(rss_end));
    j.add("server_rss_per_connection_kb",
          rss_before_connect_ && rss_after_connect_ && subscribed_
              ? ratio(double(*rss_after_connect_ - *rss_before_connect_), subscribed_)
              : std::nullopt,
          2);
    j.add("server_cpu_us_per_connection",
          server_cpu_connect_us_ && subscribed_ ? ratio(double(*server_cpu_connect_us_), subscribed_) : std::nullopt, 2);
    j.add("generator_cpu_us_per_connection", subscribed_ ? ratio(double(self_cpu_connect_us_), subscribed_) : std::nullopt, 2);
    j.add("server_cpu_percent_while_holding",
          server_cpu_hold && o_.duration_s > 0 ? ratio(double(*server_cpu_hold) / 1e4, o_.duration_s) : std::nullopt, 2);
    j.add("generator_cpu_percent_while_holding", o_.duration_s > 0 ? ratio(double(self_hold) / 1e4, o_.duration_s) : std::nullopt, 2);
    out.json = j.text();
    if (subscribed_ == 0) out.problems.push_back("no connection subscribed");
    add_common_problems(out);
    pool_.close_all(3 * kSecond);
    settle_verdict(out);
    return out;
  }
};

}  // namespace

Outcome run_connections_scenario(const Options& options) {
  ConnectionsScenario scenario(options);
  return scenario.run();
}

}  // namespace pws::bench
