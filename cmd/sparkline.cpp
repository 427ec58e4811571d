// Sparkline rendering; see sparkline.hpp.
#include "cmd/sparkline.hpp"

#include <algorithm>

namespace pws::cmd {

std::string sparkline(const std::vector<std::optional<std::int64_t>>& values) {
  static constexpr const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  std::int64_t max = 0;
  for (const auto& v : values)
    if (v) max = std::max(max, *v);
  std::string line;
  for (const auto& v : values) {
    if (!v) {
      line += ' ';
      continue;
    }
    int level = 0;
    if (max > 0 && *v > 0) {
      const double scaled = static_cast<double>(*v) / static_cast<double>(max) * 7.0;
      level = std::clamp(static_cast<int>(scaled + 0.5), 1, 7);
    }
    line += kBlocks[level];
  }
  return line;
}

std::vector<std::optional<std::int64_t>> bucket_series(const std::vector<std::int64_t>& times,
                                                       const std::vector<std::int64_t>& values,
                                                       std::size_t max_buckets, bool sum) {
  const std::size_t n = std::min(times.size(), values.size());
  if (n == 0 || max_buckets == 0) return {};
  const std::size_t buckets = std::min(n, max_buckets);
  const std::int64_t first = times.front();
  // Span of time from the first to just past the last point.
  const auto span = static_cast<unsigned __int128>(std::max<std::int64_t>(times[n - 1] - first, 0)) + 1;
  std::vector<std::optional<std::int64_t>> out(buckets);
  for (std::size_t i = 0; i < n; ++i) {
    const auto offset = static_cast<unsigned __int128>(std::max<std::int64_t>(times[i] - first, 0));
    auto index = static_cast<std::size_t>(offset * buckets / span);
    index = std::min(index, buckets - 1);
    auto& slot = out[index];
    if (!slot)
      slot = values[i];
    else
      slot = sum ? *slot + values[i] : std::max(*slot, values[i]);
  }
  return out;
}

}  // namespace pws::cmd
