// WritePool: helper threads that share out one batch of socket writes with
// the loop thread (fork-join). In a fan-out nearly all of the server's CPU is
// the kernel's send path, one send() per recipient (tests/bench/RESULTS.md),
// and each send touches only its own socket: split over the cores, the
// writes of one broadcast finish sooner. The loop thread takes a share and
// waits for the rest, so no session is ever touched by two threads at once
// nor by any thread after run() returns.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pws::server {

class WritePool {
 public:
  /// Work over the half-open range [begin, end); must not throw.
  using Slice = std::function<void(std::size_t begin, std::size_t end)>;

  explicit WritePool(unsigned helpers);
  ~WritePool();
  WritePool(const WritePool&) = delete;
  WritePool& operator=(const WritePool&) = delete;

  unsigned helpers() const noexcept { return helpers_; }
  /// Splits [0, count) into one slice per thread, this one included, and
  /// returns once every slice is done.
  void run(std::size_t count, const Slice& work);

  /// Helpers for this machine: one per core beyond the loop's, at most 7.
  static unsigned default_helpers();

 private:
  void helper_main(unsigned index);

  const unsigned helpers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable start_;
  std::condition_variable done_;
  std::uint64_t generation_ = 0;
  unsigned pending_ = 0;
  bool stopping_ = false;
  const Slice* work_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace pws::server
