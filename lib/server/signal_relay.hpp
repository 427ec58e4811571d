// SignalRelay: SIGINT, SIGTERM and SIGHUP for `pws serve`. The handler only
// writes the signal's number to a pipe (async-signal-safe); a thread of its
// own reads it and calls `deliver`, which may take locks and wake the event
// loops. Waking a loop from the handler itself could race with that loop
// destroying its context. While a relay exists it owns the three signals.
#pragma once

#include <functional>
#include <thread>

namespace pws::server {

class SignalRelay {
 public:
  explicit SignalRelay(std::function<void(int signal)> deliver);
  /// Restores the default handlers and joins the thread.
  ~SignalRelay();
  SignalRelay(const SignalRelay&) = delete;
  SignalRelay& operator=(const SignalRelay&) = delete;

 private:
  void run();

  std::function<void(int)> deliver_;
  int pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace pws::server
