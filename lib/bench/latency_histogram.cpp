// Percentiles of latency_histogram.hpp.
#include "bench/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace pws::bench {

std::optional<std::int64_t> LatencyHistogram::percentile(double q) {
  if (samples_.empty()) return std::nullopt;
  if (!sorted_) {
    std::sort(samples_.begin(), samples_.end());
    sorted_ = true;
  }
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples_.size())));
  rank = std::clamp<std::size_t>(rank, 1, samples_.size());
  return samples_[rank - 1];
}

}  // namespace pws::bench
