#include "server/write_pool.hpp"

#include <algorithm>

namespace pws::server {

namespace {
std::size_t slice_begin(std::size_t count, unsigned slice, unsigned slices) {
  return count * slice / slices;
}
}  // namespace

WritePool::WritePool(unsigned helpers) : helpers_(helpers) {
  threads_.reserve(helpers);
  for (unsigned i = 0; i < helpers; ++i) threads_.emplace_back([this, i] { helper_main(i); });
}

WritePool::~WritePool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  start_.notify_all();
  for (auto& thread : threads_) thread.join();
}

unsigned WritePool::default_helpers() {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::min(cores, 8u) - 1;
}

void WritePool::run(std::size_t count, const Slice& work) {
  const unsigned slices = helpers() + 1;
  if (slices == 1 || count < slices) {
    work(0, count);
    return;
  }
  {
    std::lock_guard lock(mutex_);
    work_ = &work;
    count_ = count;
    pending_ = helpers();
    ++generation_;
  }
  start_.notify_all();
  // The loop thread takes the last slice.
  work(slice_begin(count, slices - 1, slices), count);
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return pending_ == 0; });
  work_ = nullptr;
}

void WritePool::helper_main(unsigned index) {
  std::uint64_t seen = 0;
  std::unique_lock lock(mutex_);
  for (;;) {
    start_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    const Slice& work = *work_;
    const unsigned slices = helpers() + 1;
    const std::size_t begin = slice_begin(count_, index, slices);
    const std::size_t end = slice_begin(count_, index + 1, slices);
    lock.unlock();
    work(begin, end);
    lock.lock();
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace pws::server
