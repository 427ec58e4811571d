// TriggerClient publishes benchmark events through the Pusher HTTP API
// (`POST /apps/{id}/events`, signed as in pusher-protocol.md section 5.2) over
// one keep-alive HTTP/1.1 connection. It is a non-blocking socket driven by
// the bench's epoll loop, so publishing costs no thread and the event's send
// timestamp is taken on the same clock, in the same thread, as the receive
// timestamps. One request is in flight at a time (no pipelining: a server is
// not required to support it), and every response is read and classified.
#pragma once

#include "bench/source_pool.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pws::bench {

class TriggerClient {
 public:
  struct Settings {
    Endpoint endpoint;
    std::string app_id;
    std::string key;
    std::string secret;
    std::string event_name = "bench";
  };

  /// One finished trigger: `status` is the HTTP status, 0 when the connection
  /// failed before a complete response arrived.
  struct Result {
    std::uint64_t seq = 0;
    int status = 0;
    std::int64_t sent_ns = 0;
    std::int64_t done_ns = 0;
    std::string detail;  // error text or the start of a non-200 body
  };

  /// `epoll_fd` is the bench loop; events for this client carry `tag`.
  TriggerClient(Settings settings, int epoll_fd, std::uint64_t tag);
  ~TriggerClient();
  TriggerClient(const TriggerClient&) = delete;
  TriggerClient& operator=(const TriggerClient&) = delete;

  /// True when no request is outstanding, so trigger() may be called.
  bool idle() const noexcept { return !busy_; }

  /// Publishes event `seq` on `channel`. The body's `t` is stamped when the
  /// request is written (after connecting, if the connection has to be
  /// opened first). `channel` must stay alive until the result is in.
  void trigger(std::uint64_t seq, const std::string& channel);

  /// Handles an epoll event for this client's socket.
  void on_event(std::uint32_t events);

  /// Finished triggers since the last call.
  std::vector<Result>& results() noexcept { return results_; }

  /// Closes the keep-alive connection.
  void close();

 private:
  enum class State { kDisconnected, kConnecting, kConnected };

  void connect_now();
  void write_request();
  void flush();
  void read_available();
  bool parse_response();  // true when a complete response was consumed
  void fail(const std::string& why);
  void finish(int status, std::string detail);

  Settings settings_;
  int epoll_fd_;
  std::uint64_t tag_;
  int fd_ = -1;
  State state_ = State::kDisconnected;
  bool busy_ = false;
  bool close_after_response_ = false;
  std::uint64_t seq_ = 0;
  const std::string* channel_ = nullptr;
  std::int64_t sent_ns_ = 0;
  std::string out_;
  std::string in_;
  std::vector<Result> results_;
};

}  // namespace pws::bench
