// The publishing scenarios, fanout and channels: N subscribers over C
// channels (fanout is C = 1), then E events through the signed HTTP API at
// R/s (R = 0: as fast as the trigger connections are answered), event k on
// channel k mod C. Every delivery is counted and checked (exactly once, in
// order with one publisher); probe connections time trigger-to-receive.
// Internal to lib/bench.
#pragma once

#include "bench/bench.hpp"

namespace pws::bench {

Outcome run_publish_scenario(const Options& options);

}  // namespace pws::bench
