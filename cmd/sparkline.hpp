// Sparklines for `pws stats show`: a series as one line of block characters
// (▁▂▃▄▅▆▇█), scaled to its maximum.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pws::cmd {

/// One block per value: 0 is ▁, the maximum █, any other positive value at
/// least ▂ so that activity never looks like none. nullopt (no data) is a
/// space. All zeros give a flat ▁ line.
std::string sparkline(const std::vector<std::optional<std::int64_t>>& values);

/// Groups points (time, value) sorted by time into at most `max_buckets`
/// equal spans of time from the first to the last point; a bucket's value is
/// the maximum (`sum` false) or the sum (`sum` true) of its points, nullopt
/// when it has none.
std::vector<std::optional<std::int64_t>> bucket_series(const std::vector<std::int64_t>& times,
                                                       const std::vector<std::int64_t>& values,
                                                       std::size_t max_buckets, bool sum);

}  // namespace pws::cmd
