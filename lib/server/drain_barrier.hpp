// DrainBarrier: with several event loops, a graceful stop closes the feed
// watchers only once every loop has closed its Pusher clients, so a
// watcher on one loop sees the disconnections of the others (relayed by
// FeedRelay) before its own 4200. The last loop to arrive wakes the rest.
#pragma once

#include <libwebsockets.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace pws::server {

class DrainBarrier {
 public:
  explicit DrainBarrier(int loops) : loops_(loops) {}

  /// A loop whose context exists (it leaves before the context goes).
  void join(lws_context* context) {
    std::lock_guard lock(mutex_);
    contexts_.push_back(context);
  }
  void leave(lws_context* context) {
    std::lock_guard lock(mutex_);
    contexts_.erase(std::remove(contexts_.begin(), contexts_.end(), context), contexts_.end());
  }
  /// This loop has closed its clients.
  void arrive() {
    std::lock_guard lock(mutex_);
    if (++arrived_ == loops_)
      for (lws_context* context : contexts_) lws_cancel_service(context);
  }
  bool all_arrived() const {
    std::lock_guard lock(mutex_);
    return arrived_ >= loops_;
  }

 private:
  const int loops_;
  mutable std::mutex mutex_;
  int arrived_ = 0;
  std::vector<lws_context*> contexts_;
};

}  // namespace pws::server
