// Time comes in from outside so that tests can move it.
#pragma once

#include <chrono>
#include <cstdint>

namespace pws::channels {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Monotonic milliseconds, for timeouts and rates.
  virtual std::int64_t monotonic_ms() const = 0;
  /// Unix time in seconds, for HTTP API timestamps.
  virtual std::int64_t unix_seconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t monotonic_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t unix_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// A clock tests set by hand.
class ManualClock final : public Clock {
 public:
  std::int64_t monotonic_ms() const override { return monotonic_ms_; }
  std::int64_t unix_seconds() const override { return unix_seconds_; }
  void advance_ms(std::int64_t ms) { monotonic_ms_ += ms; }
  void set_unix_seconds(std::int64_t s) { unix_seconds_ = s; }

 private:
  std::int64_t monotonic_ms_ = 1'000'000;
  std::int64_t unix_seconds_ = 1'700'000'000;
};

}  // namespace pws::channels
