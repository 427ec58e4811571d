#include "server/event_loop.hpp"

#include <dlfcn.h>

#include <cstdio>

namespace pws::server {

namespace {
// lws loads its libuv back end as a plugin, and unloads it when a context is
// destroyed, possibly before the loop has run the close callbacks that live
// in it (seen when a vhost fails to start: uv_run jumped into unmapped code).
// Holding a reference of our own keeps it mapped for the loop's lifetime.
constexpr const char* kLibuvPlugin = "libwebsockets-evlib_uv.so";
}  // namespace

EventLoop::EventLoop() {
  uv_loop_init(&loop_);
  plugin_ = dlopen(kLibuvPlugin, RTLD_NOW | RTLD_LOCAL);
}

EventLoop::~EventLoop() {
  if (abandoned_) return;
  drain();
  uv_loop_close(&loop_);
  if (plugin_) dlclose(plugin_);
}

lws_context* EventLoop::create_context(lws_context_creation_info& info) {
  if (plugin_) {
    info.options |= LWS_SERVER_OPTION_LIBUV;
    info.foreign_loops = foreign_loops_;
    on_libuv_ = true;
  } else {
    std::fprintf(stderr, "pws: warning: %s is not installed (Debian: libwebsockets-evlib-uv): serving on "
                         "poll(), which slows down as connections grow\n", kLibuvPlugin);
  }
  return lws_create_context(&info);
}

bool EventLoop::turn(lws_context* context) {
  if (!on_libuv_) return lws_service(context, 0) >= 0;
  // lws keeps its pipe and timer handles on the loop while the context
  // lives: a loop with nothing left means the context is gone.
  return uv_run(&loop_, UV_RUN_ONCE) != 0;
}

void EventLoop::destroy_context(lws_context* context) {
  lws_context_destroy(context);
  if (!on_libuv_) return;
  // On a foreign loop the first call only starts closing lws' handles; they
  // close as the loop turns, and the second call frees the context
  // (toolchain.md §5: without it the whole context leaks).
  drain();
  lws_context_destroy(context);
  drain();
}

void EventLoop::abandon_context(lws_context* context) {
  lws_context_destroy(context);
  abandoned_ = on_libuv_;
}

void EventLoop::drain() noexcept {
  // Closing handles need a turn or two; the bound keeps a handle lws never
  // closes from spinning here.
  for (int turns = 0; turns < 1000 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++turns) {
  }
}

}  // namespace pws::server
