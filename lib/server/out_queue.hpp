// OutQueue: a connection's bounded queue of frames waiting for a writable
// callback. A small ring of shared frames: queuing a broadcast copies a
// pointer, never the payload, and an idle connection holds no allocation.
#pragma once

#include <cstddef>
#include <vector>

#include "protocol/frame.hpp"

namespace pws::server {

class OutQueue {
 public:
  bool empty() const noexcept { return count_ == 0; }
  std::size_t size() const noexcept { return count_; }
  std::size_t bytes() const noexcept { return bytes_; }

  void push(const protocol::Frame& frame) {
    if (count_ == ring_.size()) grow();
    ring_[(head_ + count_) & (ring_.size() - 1)] = frame;
    ++count_;
    bytes_ += frame.size();
  }

  const protocol::Frame& front() const noexcept { return ring_[head_]; }
  /// The i-th frame from the front (i < size()).
  const protocol::Frame& at(std::size_t i) const noexcept { return ring_[(head_ + i) & (ring_.size() - 1)]; }

  void pop() noexcept {
    bytes_ -= ring_[head_].size();
    ring_[head_] = protocol::Frame();
    head_ = (head_ + 1) & (ring_.size() - 1);
    if (--count_ == 0) release_if_large();
  }

  void clear() noexcept {
    ring_.clear();
    ring_.shrink_to_fit();
    head_ = count_ = bytes_ = 0;
  }

 private:
  void grow() {
    std::vector<protocol::Frame> bigger(ring_.empty() ? 4 : ring_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) bigger[i] = std::move(ring_[(head_ + i) & (ring_.size() - 1)]);
    ring_ = std::move(bigger);
    head_ = 0;
  }
  // A burst can grow the ring; give the memory back once it drains so that
  // 10,000 idle connections do not each keep their high-water mark.
  void release_if_large() noexcept {
    head_ = 0;
    if (ring_.size() > 64) clear();
  }

  std::vector<protocol::Frame> ring_;  // capacity is a power of two
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace pws::server
