// WsPool: many client WebSocket connections on one epoll loop, each opened,
// upgraded (RFC 6455, Sec-WebSocket-Accept checked), told
// pusher:connection_established and subscribed to one public channel, then
// either held, read for events, or unsubscribed and closed with the close
// handshake. Scenarios drive it through a PoolListener.
//
// Why not libwebsockets: the receive path is what a load generator pays per
// delivery, and it must cost far less than the server it measures (both
// share the 2 cores). lws (Debian 4.1.6) has no external-poll mode and its
// default loop poll()s every socket on each wake-up, and it reads every frame
// the moment it arrives. Here the subscribers that are not probes sit in a
// second epoll set that nothing sleeps on: it is harvested every --batch-ms,
// so one recv() returns many frames that are only counted (no JSON parsing:
// a substring scan finds the `seq` marker). Figures: tests/bench/RESULTS.md.
//
// Single-threaded. Listener callbacks run inside poll(); they may call
// close_gracefully() but never open() (a slot reused inside its own read
// would see the old connection's bytes): collect free slots and open them
// from the scenario's loop. Depends on POSIX sockets, ws_frame and source_pool.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/source_pool.hpp"
#include "bench/ws_frame.hpp"

namespace pws::bench {

enum class ConnState : std::uint8_t {
  kIdle,              ///< free slot
  kConnecting,        ///< TCP connect in progress
  kHandshake,         ///< upgrade request sent, waiting for 101
  kAwaitEstablished,  ///< waiting for pusher:connection_established
  kSubscribing,       ///< pusher:subscribe sent
  kSubscribed,        ///< holding / counting deliveries
  kClosing,           ///< our close frame sent, waiting for the server's
  kDone,              ///< socket closed
};

enum Failure : std::uint8_t {
  kConnectError,
  kHandshakeRejected,
  kPusherError,
  kClosedDuringSetup,
  kProtocolError,
  kSetupTimeout,
  kFailureKinds,
};

/// JSON names of the failure kinds ("connect_error", ...).
extern const std::array<const char*, kFailureKinds> kFailureNames;

class PoolListener {
 public:
  virtual ~PoolListener() = default;
  /// The subscription of `idx` was confirmed.
  virtual void on_subscribed(std::uint32_t idx, std::int64_t now) = 0;
  /// A message on a subscribed connection; true when it was a benchmark
  /// event (anything else is checked for pusher:ping / pusher:error).
  virtual bool on_event(std::uint32_t, std::string_view, std::int64_t) { return false; }
  /// Setup of `idx` failed (slot free again).
  virtual void on_failed(std::uint32_t, Failure) {}
  /// A subscribed connection was lost (slot free again).
  virtual void on_lost(std::uint32_t) {}
  /// A close_gracefully() finished (slot free again); `clean` when the server
  /// answered the close handshake.
  virtual void on_closed(std::uint32_t, bool /*clean*/) {}
  /// An epoll event for a socket the scenario added with a tag >= kExtraTagBase.
  virtual void on_extra(std::uint64_t, std::uint32_t) {}
};

class WsPool {
 public:
  /// epoll tags at or above this belong to the scenario (trigger clients).
  static constexpr std::uint64_t kExtraTagBase = std::uint64_t(1) << 41;

  struct Settings {
    std::vector<Endpoint> targets;  ///< connection i goes to targets[i % size]
    std::string key;                ///< app key: /app/{key}
    unsigned sources = 4;           ///< source addresses per IPv4 loopback target
    unsigned max_inflight = 500;    ///< handshakes in flight at once
    unsigned batch_ms = 500;        ///< harvest period of non-probes; 0 = read on arrival
  };

  WsPool(Settings settings, PoolListener& listener, std::size_t slots);
  ~WsPool();
  WsPool(const WsPool&) = delete;
  WsPool& operator=(const WsPool&) = delete;

  int epoll_fd() const noexcept { return epoll_fd_; }
  std::size_t slots() const noexcept { return conns_.size(); }
  ConnState state(std::uint32_t idx) const { return conns_[idx].state; }
  bool probe(std::uint32_t idx) const { return conns_[idx].probe; }
  const std::string& channel(std::uint32_t idx) const { return conns_[idx].channel; }
  /// Connections between connect() and the subscription's confirmation.
  std::uint32_t inflight() const noexcept { return inflight_; }
  bool can_open() const noexcept { return inflight_ < settings_.max_inflight; }
  std::uint32_t closing() const noexcept { return closing_; }

  /// Starts connection `idx` (a free slot) towards targets[target]; once
  /// established it subscribes to `channel`. A probe is read the moment data
  /// arrives; the others are harvested every batch_ms.
  void open(std::uint32_t idx, std::size_t target, std::string channel, bool probe);
  /// Sends pusher:unsubscribe (when `unsubscribe`) and a close frame; the
  /// listener hears on_closed when the server answers or the socket ends.
  void close_gracefully(std::uint32_t idx, bool unsubscribe);
  /// Fails every connection still in setup (kSetupTimeout).
  void expire_setup();

  /// Waits for events until `wake_at` (ns, now_ns clock), at most 1 s, runs
  /// the callbacks and harvests the bulk set when due; the events handled.
  std::size_t poll(std::int64_t wake_at);
  /// From now on every subscriber is read on arrival (for the tail of a run,
  /// so the last delivery is timed when it arrives, and for closing).
  void follow_bulk();
  /// Reads what already arrived (at most `budget_ns` of work).
  void drain(std::int64_t budget_ns);
  /// Close handshake with every open connection, waiting up to `grace_ns`;
  /// the ones that did not answer are closed anyway. Returns how many.
  std::uint32_t close_all(std::int64_t grace_ns);

  std::uint64_t failures() const noexcept { return failures_total_; }
  const std::array<std::uint64_t, kFailureKinds>& failure_kinds() const noexcept { return failures_; }
  std::uint64_t disconnects() const noexcept { return disconnects_; }

 private:
  struct Conn {
    int fd = -1;
    ConnState state = ConnState::kIdle;
    bool probe = false;       // read immediately and timed
    bool in_bulk = false;     // in the harvested set
    bool in_message = false;  // inside a fragmented message
    std::uint32_t target = 0;
    std::string channel;
    std::string in;       // bytes of an incomplete handshake or frame
    std::string out;      // bytes the socket did not take yet (rare)
    std::string message;  // fragmented message being reassembled (rare)
    std::string ws_key;   // Sec-WebSocket-Key until the 101 arrives
  };

  void dispatch(const epoll_event& ev, std::int64_t now);
  std::size_t harvest_bulk();
  void finish_connect(std::uint32_t idx);
  void read_conn(std::uint32_t idx, std::int64_t now);
  std::size_t consume(std::uint32_t idx, char* p, std::size_t n, std::int64_t now);
  bool accept_handshake(Conn& c, std::string_view head);
  void on_frame(std::uint32_t idx, const FrameHeader& h, std::string_view payload, std::int64_t now);
  void on_message(std::uint32_t idx, std::string_view msg, std::int64_t now);
  void on_close(std::uint32_t idx, bool reply);
  void send_frame(std::uint32_t idx, std::uint8_t opcode, std::string_view payload);
  void send_raw(std::uint32_t idx, std::string_view bytes);
  void flush_out(std::uint32_t idx);
  void fail(std::uint32_t idx, Failure kind, std::string_view detail);
  void close_conn(std::uint32_t idx);
  void move_to_bulk(std::uint32_t idx);

  Settings settings_;
  PoolListener& listener_;
  std::vector<SourcePool> sources_;  // one per target
  MaskSource masks_;
  int epoll_fd_ = -1;       // setup, probes, extras: waited on
  int bulk_epoll_fd_ = -1;  // subscribed non-probes: harvested, not waited on
  std::vector<Conn> conns_;
  std::array<char, 65536> read_buf_{};
  std::string scratch_;  // frame encoding buffer, reused
  std::int64_t batch_ns_;
  std::int64_t bulk_due_ = 0;
  bool harvesting_ = false;
  bool following_ = false;
  std::uint32_t inflight_ = 0;
  std::uint32_t closing_ = 0;
  std::uint64_t failures_total_ = 0;
  std::array<std::uint64_t, kFailureKinds> failures_{};
  unsigned failure_logs_ = 0;
  std::uint64_t disconnects_ = 0;
  std::uint64_t pusher_errors_ = 0;
};

}  // namespace pws::bench
