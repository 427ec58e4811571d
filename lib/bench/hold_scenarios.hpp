// The scenarios without publishing: connections (open N, subscribe, hold
// for D seconds, check they all stayed) and churn (connect, subscribe,
// unsubscribe, close at R cycles/s for D seconds with at most --max-inflight
// cycles at once; RSS drift of the server). Internal to lib/bench.
#pragma once

#include "bench/bench.hpp"

namespace pws::bench {

Outcome run_connections_scenario(const Options& options);
Outcome run_churn_scenario(const Options& options);

}  // namespace pws::bench
