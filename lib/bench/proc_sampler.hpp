// The clock and the /proc readers of the bench: CLOCK_MONOTONIC (the same
// clock the trigger stamps into each event, so latency needs no clock
// synchronisation), a process's RSS and CPU time, and this process's CPU time.
// Depends on POSIX only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace pws::bench {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMilli = 1'000'000;

/// CLOCK_MONOTONIC in nanoseconds.
std::int64_t now_ns() noexcept;

/// VmRSS of /proc/<pid>/status in KB, nullopt when unreadable.
std::optional<long> read_rss_kb(pid_t pid);

/// utime+stime of /proc/<pid>/stat in microseconds (10 ms ticks), nullopt when unreadable.
std::optional<std::int64_t> read_cpu_us(pid_t pid);

/// This process's user+system CPU time in microseconds.
std::int64_t self_cpu_us();

/// A process watched over one phase: CPU used and RSS at the start and end.
/// pid 0 watches nothing and every figure stays nullopt.
class ProcSampler {
 public:
  explicit ProcSampler(pid_t pid) : pid_(pid) {}
  bool enabled() const noexcept { return pid_ != 0; }
  std::optional<long> rss_kb() const { return pid_ ? read_rss_kb(pid_) : std::nullopt; }
  std::optional<std::int64_t> cpu_us() const { return pid_ ? read_cpu_us(pid_) : std::nullopt; }

 private:
  pid_t pid_;
};

/// CPU microseconds used between two readings, nullopt when either is missing.
inline std::optional<std::int64_t> cpu_delta(const std::optional<std::int64_t>& before,
                                             const std::optional<std::int64_t>& after) {
  if (!before || !after) return std::nullopt;
  return *after - *before;
}

}  // namespace pws::bench
