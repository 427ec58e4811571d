// Writing a session's queued frames straight to its socket, past lws: one
// sendmsg() gathering each frame's header and its shared payload (nothing
// copied). It touches only the session's queue and descriptor, so the write
// pool may run it for many sessions at once; whatever the socket did not take
// is settled afterwards on the loop thread (ServerImpl::flush_writes), where
// lws may be called again. Only for plain TCP sessions with nothing buffered
// in lws: TLS records go through lws.
#pragma once

namespace pws::server {

struct WsSession;

/// Sends from the front of s.queue, popping what went out whole, and
/// records the outcome in s.send_result (and s.partial_sent).
void send_queued(WsSession& s) noexcept;

}  // namespace pws::server
