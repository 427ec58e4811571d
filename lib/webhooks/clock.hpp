// Time for the webhook module: monotonic milliseconds for windows, delays
// and retries, Unix milliseconds for the `time_ms` receivers see. Both come
// in from outside so the unit tests run on a clock they move by hand.
#pragma once

#include <chrono>
#include <cstdint>

namespace pws::webhooks {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t monotonic_ms() const = 0;
  virtual std::int64_t unix_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t monotonic_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t unix_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

/// A clock tests set by hand; both readings move together.
class ManualClock final : public Clock {
 public:
  std::int64_t monotonic_ms() const override { return monotonic_ms_; }
  std::int64_t unix_ms() const override { return unix_ms_; }
  void advance_ms(std::int64_t ms) {
    monotonic_ms_ += ms;
    unix_ms_ += ms;
  }

 private:
  std::int64_t monotonic_ms_ = 1'000'000;
  std::int64_t unix_ms_ = 1'700'000'000'000;
};

}  // namespace pws::webhooks
