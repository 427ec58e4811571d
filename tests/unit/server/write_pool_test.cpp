// The write pool shares one batch of writes between the loop thread and its
// helpers (issue 8: writes of one broadcast spread over the cores).
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "server/write_pool.hpp"

using pws::server::WritePool;

namespace {

/// Runs `count` items through the pool and returns how often each was seen
/// and by how many distinct threads.
std::pair<std::vector<int>, std::size_t> run_counting(WritePool& pool, std::size_t count) {
  std::vector<int> seen(count, 0);
  std::mutex mutex;
  std::set<std::thread::id> threads;
  pool.run(count, [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) ++seen[i];  // slices never overlap: no lock needed
    std::lock_guard lock(mutex);
    if (begin < end) threads.insert(std::this_thread::get_id());
  });
  return {seen, threads.size()};
}

}  // namespace

TEST_CASE("every item of a batch is handled exactly once, shared between the threads", "[server][write_pool]") {
  WritePool pool(3);
  for (std::size_t count : {4u, 5u, 17u, 1000u, 10007u}) {
    auto [seen, threads] = run_counting(pool, count);
    CHECK(std::count(seen.begin(), seen.end(), 1) == static_cast<long>(count));
    CHECK(threads == 4);
  }
}

TEST_CASE("a batch smaller than the number of threads stays on the calling thread", "[server][write_pool]") {
  WritePool pool(3);
  auto [seen, threads] = run_counting(pool, 3);
  CHECK(seen == std::vector<int>{1, 1, 1});
  CHECK(threads == 1);
  auto [none, no_threads] = run_counting(pool, 0);
  CHECK(none.empty());
  CHECK(no_threads == 0);
}

TEST_CASE("without helpers the caller does all the work", "[server][write_pool]") {
  WritePool pool(0);
  CHECK(pool.helpers() == 0);
  auto [seen, threads] = run_counting(pool, 100);
  CHECK(std::count(seen.begin(), seen.end(), 1) == 100);
  CHECK(threads == 1);
}

TEST_CASE("batches run back to back, and the pool stops cleanly", "[server][write_pool]") {
  std::atomic<std::size_t> total{0};
  {
    WritePool pool(2);
    for (int round = 0; round < 500; ++round)
      pool.run(64, [&](std::size_t begin, std::size_t end) { total += end - begin; });
  }
  CHECK(total == 500u * 64u);
}

TEST_CASE("one helper per core beyond the loop's, at most seven", "[server][write_pool]") {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  CHECK(WritePool::default_helpers() == std::min(cores, 8u) - 1);
}
