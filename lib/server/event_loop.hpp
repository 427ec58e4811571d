// EventLoop: what lws' context runs on. Debian's lws defaults to poll(),
// which scans every descriptor on every wake-up: with 19,000 connections
// open that made one accept cost 837 µs and half of an API request's CPU
// (tests/bench/RESULTS.md). lws' libuv back end gives epoll; the loop is
// ours ("foreign"), so the server keeps its own loop body and turns the loop
// one round at a time.
#pragma once

#include <libwebsockets.h>
#include <uv.h>

namespace pws::server {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Creates the context on the libuv loop, or on lws' poll() loop with a
  /// warning when lws' libuv plugin is not installed. Null when lws cannot
  /// create it (the caller reports why).
  lws_context* create_context(lws_context_creation_info& info);
  /// Waits for events (or a timer, or lws_cancel_service) and handles them.
  /// False once the context is gone.
  bool turn(lws_context* context);
  /// Destroys a context this loop created, and what lws left on the loop.
  void destroy_context(lws_context* context);
  /// A context whose vhost failed to start: lws 4.1 on libuv frees it
  /// with close callbacks still queued on the loop that then touch freed
  /// memory. So it is destroyed, and the loop is never turned again (what
  /// lws left on it leaks; the server is not going to run).
  void abandon_context(lws_context* context);
  bool uses_epoll() const noexcept { return on_libuv_; }

 private:
  void drain() noexcept;

  uv_loop_t loop_{};
  void* foreign_loops_[1] = {&loop_};
  void* plugin_ = nullptr;  // dlopen handle of lws' libuv plugin
  bool on_libuv_ = false;
  bool abandoned_ = false;
};

}  // namespace pws::server
