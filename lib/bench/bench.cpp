// Scenario defaults and dispatch of bench.hpp.
#include "bench/bench.hpp"

#include <algorithm>

#include "bench/hold_scenarios.hpp"
#include "bench/publish_scenario.hpp"

namespace pws::bench {

namespace {
// Sockets beyond the WebSockets: epoll sets, trigger connections, stdio and
// slack for the C++ runtime.
constexpr unsigned kSpareFds = 64;
}  // namespace

Options with_defaults(Options o) {
  const auto set = [](auto& field, auto value) {
    if (field == 0) field = value;
  };
  if (o.scenario == "connections") {
    set(o.connections, 1000u);
    set(o.channels, 1u);
    set(o.duration_s, 5.0);
  } else if (o.scenario == "fanout") {
    set(o.connections, 1000u);
    o.channels = 1;
    set(o.events, 100u);
    if (o.rate < 0) o.rate = 10;
    set(o.trigger_connections, 1u);
  } else if (o.scenario == "channels") {
    set(o.connections, 2000u);
    set(o.channels, 1000u);
    set(o.events, 20000u);
    if (o.rate < 0) o.rate = 0;
    set(o.trigger_connections, 8u);
  } else if (o.scenario == "churn") {
    set(o.channels, 10u);
    set(o.duration_s, 10.0);
    if (o.rate <= 0) o.rate = 200;
    // Every cycle is read on arrival: it lives a few milliseconds.
    o.batch_ms = 0;
  }
  o.channels = std::max(1u, o.channels);
  o.probe_every = std::max(1u, o.probe_every);
  o.trigger_connections = std::max(1u, o.trigger_connections);
  return o;
}

unsigned long long needed_file_descriptors(const Options& o) {
  const unsigned long long sockets = o.scenario == "churn" ? o.max_inflight : o.connections;
  return sockets + o.trigger_connections + kSpareFds;
}

Outcome run_scenario(const Options& options) {
  if (options.scenario == "connections") return run_connections_scenario(options);
  if (options.scenario == "churn") return run_churn_scenario(options);
  return run_publish_scenario(options);
}

}  // namespace pws::bench
