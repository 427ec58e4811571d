// LatencyHistogram: trigger-to-receive (or round-trip) times in nanoseconds
// and their nearest-rank percentiles. Samples are kept exactly (8 bytes
// each): the probes are a few per cent of the deliveries, so even 10^7
// samples are 80 MB at worst and the percentiles need no bucket error.
// Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace pws::bench {

class LatencyHistogram {
 public:
  void reserve(std::size_t n) { samples_.reserve(n); }
  void add(std::int64_t ns) {
    samples_.push_back(ns);
    sorted_ = false;
  }
  std::size_t count() const noexcept { return samples_.size(); }

  /// Nearest-rank percentile, q in [0,1] (1 = max); nullopt when empty.
  std::optional<std::int64_t> percentile(double q);

 private:
  std::vector<std::int64_t> samples_;
  bool sorted_ = true;
};

}  // namespace pws::bench
