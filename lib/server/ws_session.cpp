// The WebSocket side: upgrade filtering, assembling messages, handing them to
// the hub (or a custom endpoint), and writing each session's queue: at the end
// of the loop iteration that queued it, or from a writable callback when the
// socket was full.
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "protocol/names.hpp"
#include "protocol/server_message.hpp"
#include "server/lws_headers.hpp"
#include "server/direct_send.hpp"
#include "server/server_impl.hpp"
#include "server/ws_frame_header.hpp"

namespace pws::server {

static_assert(protocol::kFrameHeadroom >= LWS_PRE, "lws_write needs LWS_PRE bytes before a frame's payload");

namespace {

constexpr std::string_view kFeedPath = "/feed";

/// Fills the session from the upgrade request: which endpoint, app key,
/// protocol version and origin (section 1.1-1.4).
void classify_upgrade(WsSession& s, lws* wsi) {
  const ServerImpl& server = *s.server;
  std::string path = request_header(wsi, WSI_TOKEN_GET_URI);
  s.request_path = path;
  s.origin = request_header(wsi, WSI_TOKEN_ORIGIN);
  s.protocol = query_value(wsi, "protocol");

  const std::string& prefix = server.config.server.path_prefix;
  std::string_view rest = path;
  if (!prefix.empty()) {
    if (!rest.starts_with(prefix)) {
      s.kind = WsSession::Kind::UnknownPath;
      return;
    }
    rest.remove_prefix(prefix.size());
  }
  if (auto route = server.routes.find(std::string(rest)); route != server.routes.end()) {
    s.kind = WsSession::Kind::Custom;
    s.handler = route->second.get();
    return;
  }
  if (rest == kFeedPath) {
    // Admitted already (signature, app) by the HTTP side's CONFIRM_UPGRADE.
    s.kind = WsSession::Kind::Feed;
    s.feed_app_id = query_value(wsi, "app_id").value_or(std::string());
    return;
  }
  constexpr std::string_view kAppPath = "/app/";
  if (rest.starts_with(kAppPath) && rest.size() > kAppPath.size() &&
      rest.find('/', kAppPath.size()) == std::string_view::npos) {
    s.kind = WsSession::Kind::Pusher;
    s.app_key = std::string(rest.substr(kAppPath.size()));
    return;
  }
  s.kind = WsSession::Kind::UnknownPath;
}

/// The longest prefix of `text` of at most `max` bytes that does not cut a
/// UTF-8 sequence (a cut one would make the peer fail the close with 1007).
std::string utf8_prefix(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

/// Close codes an endpoint may send (RFC 6455 7.4): 1005, 1006 and 1015 are
/// reserved for reporting, and codes outside 1000-4999 do not exist.
int sendable_close_code(int code) {
  const bool reserved = code == 1004 || code == 1005 || code == 1006 || code == 1015;
  const bool known = (code >= 1000 && code <= 1014) || (code >= 3000 && code <= 4999);
  return known && !reserved ? code : 1011;
}

void reject(WsSession& s, Errc e) {
  const ErrcInfo& row = info(e);
  s.enqueue(protocol::encode_error(e, row.message));
  s.request_close(row.code, row.message);
}

void on_established(WsSession& s) {
  ServerImpl& server = *s.server;
  s.opened = true;
  s.tls = lws_is_ssl(s.wsi) != 0;
  s.fd = lws_get_socket_fd(s.wsi);
  if (server.draining) {
    if (s.kind == WsSession::Kind::Feed) return s.request_close(info(Errc::Reconnect).code, info(Errc::Reconnect).message);
    return reject(s, Errc::Reconnect);
  }
  switch (s.kind) {
    case WsSession::Kind::Feed: {
      // The registry may have changed since the upgrade was admitted.
      const channels::App* app = server.hub->apps().find_by_id(s.feed_app_id);
      if (!app || !app->enabled) {
        const ErrcInfo& row = info(app ? Errc::AppDisabled : Errc::AppNotFound);
        return s.request_close(row.code, row.message);
      }
      s.last_seen_ms = server.clock.monotonic_ms();
      server.feed->add(&s, s.feed_app_id);
      s.feed_registered = true;
      return;
    }
    case WsSession::Kind::UnknownPath:
      return reject(s, Errc::PathNotFound);
    case WsSession::Kind::Custom:
      s.handler->on_open(s);
      return;
    case WsSession::Kind::Pusher: {
      channels::OpenRequest request;
      request.app_key = s.app_key;
      if (s.protocol) request.protocol = std::string_view(*s.protocol);
      request.origin = s.origin;
      request.tls = s.tls;
      server.catch_up();
      server.hub->open(s.connection_id(), request);
      return;
    }
  }
}

void on_message(WsSession& s, std::string_view text) {
  if (s.close_pending) return;
  if (s.kind == WsSession::Kind::Pusher) {
    s.server->catch_up();
    s.server->hub->receive(s.connection_id(), text);
  }
  else if (s.kind == WsSession::Kind::Custom)
    s.handler->on_message(s, text);
}

/// Several frames are queued: frame them ourselves into one buffer and hand
/// it to lws as raw bytes, so they leave in one send() instead of one
/// writable callback and one syscall each. lws keeps whatever the socket
/// does not take and calls back only once it has flushed it.
int write_coalesced(WsSession& s) {
  constexpr std::size_t kMaxBatchBytes = 64 * 1024;
  std::string& batch = s.server->write_scratch;
  batch.assign(LWS_PRE, '\0');
  while (!s.queue.empty() && batch.size() - LWS_PRE < kMaxBatchBytes) {
    const protocol::Frame& frame = s.queue.front();
    unsigned char header[kMaxFrameHeader];
    batch.append(reinterpret_cast<const char*>(header), write_text_frame_header(header, frame.size()));
    batch.append(frame.payload());
    s.queue.pop();
  }
  const std::size_t length = batch.size() - LWS_PRE;
  auto* bytes = reinterpret_cast<unsigned char*>(batch.data()) + LWS_PRE;
  // LWS_WRITE_RAW (= LWS_WRITE_HTTP) bypasses lws' own framing on a ws
  // connection (roles/ws/ops-ws.c: "goto send_raw").
  return lws_write(s.wsi, bytes, length, LWS_WRITE_RAW) < static_cast<int>(length) ? -1 : 0;
}

/// Every close the server starts. The close frame is framed here and sent,
/// then FIN (shutdown of our side), and the client's input is read and
/// dropped until it closes too (its close frame or EOF ends the connection)
/// or the 5 s timeout does. Why not lws' own close (lws_close_reason, then
/// return -1): Debian's lws 4.1 is built with _DEBUG, and on the libuv loop
/// that build force-closes without the close frame (warmcat/libwebsockets
/// #3569), so clients saw 1006 instead of our code. And a client still
/// sending (a message over the size limit) must not be hung up on with its
/// bytes unread: the kernel would answer with a reset, which destroys the
/// close frame before the client reads it.
int close_lingering(WsSession& s) {
  if (!s.close_sent) {
    s.close_sent = true;
    // Framed here and written raw, like the coalesced writes: lws 4.1 offers
    // no close frame that does not also end the connection.
    unsigned char frame[LWS_PRE + 4 + 123];
    unsigned char* out = frame + LWS_PRE;
    const std::size_t reason = std::min<std::size_t>(s.close_reason.size(), 123);
    out[0] = 0x88;  // FIN + close
    out[1] = static_cast<unsigned char>(2 + reason);
    out[2] = static_cast<unsigned char>(s.close_code >> 8);
    out[3] = static_cast<unsigned char>(s.close_code & 0xff);
    std::memcpy(out + 4, s.close_reason.data(), reason);
    const std::size_t length = 4 + reason;
    if (lws_write(s.wsi, out, length, LWS_WRITE_RAW) < static_cast<int>(length)) return -1;
    lws_set_timeout(s.wsi, PENDING_TIMEOUT_USER_OK, 5);
  }
  if (s.write_side_shut) return 0;
  // A socket that was full leaves part of the close frame (or of the frames
  // before it) with lws until the client reads: FIN now would lose it. lws
  // calls back once it has drained.
  if (lws_partial_buffered(s.wsi)) {
    lws_callback_on_writable(s.wsi);
    return 0;
  }
  s.write_side_shut = true;
  ::shutdown(lws_get_socket_fd(s.wsi), SHUT_WR);
  return 0;
}

/// Writes the queued frames (at most one batch); -1 when the socket failed.
int write_queue(WsSession& s) {
  if (s.queue.size() == 1) {
    // Hold a reference: the frame's buffer must outlive the write even if
    // this was its last queue. lws puts the header in the frame's headroom.
    protocol::Frame frame = s.queue.front();
    s.queue.pop();
    const int written = lws_write(s.wsi, frame.writable_payload(), frame.size(), LWS_WRITE_TEXT);
    return written < static_cast<int>(frame.size()) ? -1 : 0;
  }
  return s.queue.empty() ? 0 : write_coalesced(s);
}

/// Writes what is due: a protocol ping, the queued frames, or the close.
int on_writable(WsSession& s) {
  lws* wsi = s.wsi;
  if (s.ping_pending) {
    s.ping_pending = false;
    // A non-empty payload: libwebsockets 4.1 reports no LWS_CALLBACK_RECEIVE_PONG
    // for a zero-length pong, so an empty ping's answer would go unnoticed.
    unsigned char ping[LWS_PRE + 4] = {};
    std::memcpy(ping + LWS_PRE, "pws", 3);
    if (lws_write(wsi, ping + LWS_PRE, 3, LWS_WRITE_PING) < 0) return -1;
  } else if (!s.queue.empty()) {
    if (write_queue(s) < 0) return -1;
  } else if (s.close_pending) {
    return close_lingering(s);
  }
  if (s.ping_pending || !s.queue.empty() || s.close_pending) lws_callback_on_writable(wsi);
  return 0;
}

void on_closed(WsSession& s) {
  ServerImpl& server = *s.server;
  if (s.opened && !s.closed) {
    s.closed = true;
    if (s.kind == WsSession::Kind::Pusher) {
      server.hub->close(s.connection_id());
    } else if (s.kind == WsSession::Kind::Custom) {
      s.handler->on_close(s, s.close_code ? s.close_code : 1006);
    }
  }
  if (s.feed_registered) {
    s.feed_registered = false;
    server.feed->remove(&s, s.feed_app_id);
  }
}

}  // namespace

void WsSession::enqueue(const protocol::Frame& frame) {
  if (close_pending) return;
  if (queue.size() >= server->max_outbound_messages() ||
      queue.bytes() + frame.size() > server->max_outbound_bytes()) {
    // A reader this far behind is closed instead of buffering without limit
    // (4100: pusher-js reconnects after a back-off). Its queue is dropped so
    // the error frame can go out first.
    queue.clear();
    if (kind == Kind::Custom && handler) handler->on_error(*this, "outbound queue full");
    const ErrcInfo& row = info(Errc::OverCapacity);
    if (kind != Kind::Feed)  // watchers get feed JSON only: just the close
      queue.push(protocol::encode_error(Errc::OverCapacity, "Client too slow: outbound queue full"));
    request_close(row.code, "Client too slow");
    // It may never read again: make sure it goes even then.
    lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 5);
    return;
  }
  queue.push(frame);
  if (!flush_listed) server->schedule_flush(*this);
}

// Why not a writable callback per session: asking lws for one costs a poll
// set change now and a wake-up and dispatch later, per recipient. A broadcast
// to 10,000 sessions instead queues a pointer on each, and this writes each
// session's frames in one send() once the iteration's callbacks are done, so
// everything one iteration queued for a session leaves together. Plain TCP
// sessions are written past lws (direct_send.hpp), shared out over the write
// pool when there are many. A socket that cannot take it all hands the rest
// to lws, which calls back when it has drained; only then does the writable
// path take over.
void ServerImpl::flush_writes() {
  constexpr std::size_t kShareOutFrom = 256;  // below this, waking the helpers costs more than it saves
  direct_writes.clear();
  for (std::size_t i = 0; i < flush_list.size(); ++i) {
    WsSession* s = flush_list[i];
    if (!s) continue;
    s->flush_listed = false;
    if (s->queue.empty()) continue;
    // lws writes its own handshake and control frames, and answers a close:
    // only an open connection with nothing of lws' pending is written here.
    const bool writable_now = s->opened && !s->closed && !s->peer_closing && !s->close_sent &&
                              !lws_partial_buffered(s->wsi);
    if (!writable_now) {
      lws_callback_on_writable(s->wsi);
    } else if (s->tls) {
      if (write_queue(*s) < 0) fail_write(*s);
      else if (!s->queue.empty()) lws_callback_on_writable(s->wsi);  // more than one batch
    } else {
      direct_writes.push_back(s);
    }
  }
  flush_list.clear();
  if (direct_writes.size() >= kShareOutFrom) {
    write_pool.run(direct_writes.size(), [this](std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) send_queued(*direct_writes[i]);
    });
  } else {
    for (WsSession* s : direct_writes) send_queued(*s);
  }
  for (WsSession* s : direct_writes) settle_direct_write(*s);
}

void ServerImpl::settle_direct_write(WsSession& s) {
  switch (s.send_result) {
    case SendResult::Failed:
      return fail_write(s);
    case SendResult::Partial: {
      // The front frame went out in part: lws takes the rest, keeps what the
      // socket refuses and asks for POLLOUT itself, so nothing can overtake it.
      const protocol::Frame& frame = s.queue.front();
      unsigned char header[kMaxFrameHeader];
      const std::size_t header_size = write_text_frame_header(header, frame.size());
      std::string& rest = write_scratch;
      rest.assign(LWS_PRE, '\0');
      if (s.partial_sent < header_size)
        rest.append(reinterpret_cast<const char*>(header) + s.partial_sent, header_size - s.partial_sent);
      rest.append(frame.payload().substr(s.partial_sent > header_size ? s.partial_sent - header_size : 0));
      s.queue.pop();
      const std::size_t length = rest.size() - LWS_PRE;
      if (lws_write(s.wsi, reinterpret_cast<unsigned char*>(rest.data()) + LWS_PRE, length, LWS_WRITE_RAW) <
          static_cast<int>(length))
        return fail_write(s);
      break;
    }
    case SendResult::WouldBlock:
    case SendResult::Sent:
      break;
  }
  if (!s.queue.empty()) lws_callback_on_writable(s.wsi);
}

void ServerImpl::fail_write(WsSession& s) {
  // Outside its callback a connection cannot be closed by returning -1: lws
  // closes it on its next turn, and nothing more is queued.
  s.queue.clear();
  s.close_pending = true;
  lws_set_timeout(s.wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void WsSession::request_close(int code, std::string_view reason) {
  if (close_pending) return;
  close_pending = true;
  close_code = static_cast<std::uint16_t>(sendable_close_code(code));
  close_reason = utf8_prefix(reason, 123);  // RFC 6455: reason <= 123 bytes of UTF-8
  lws_callback_on_writable(wsi);
  // A close must not wait forever on a client that stopped reading.
  lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, 10);
}

bool ServerImpl::is_feed_path(std::string_view path) const {
  const std::string& prefix = config.server.path_prefix;
  if (!path.starts_with(prefix)) return false;
  path.remove_prefix(prefix.size());
  // A custom endpoint registered at /feed by an embedder keeps its path.
  return path == kFeedPath && routes.find(std::string(kFeedPath)) == routes.end();
}

void ServerImpl::sweep_watchers() {
  if (feed->watcher_count() == 0) return;
  const std::int64_t now = clock.monotonic_ms();
  const channels::HubSettings& settings = hub->settings();
  feed->for_each_watcher([&](FeedSink& sink) {
    auto& s = static_cast<WsSession&>(sink);
    if (s.close_pending) return;
    if (s.ping_sent_ms) {
      if (now - s.ping_sent_ms >= settings.pong_timeout_ms) {
        const ErrcInfo& row = info(Errc::PongTimeout);
        s.request_close(row.code, row.message);
      }
    } else if (now - s.last_seen_ms >= settings.ping_interval_ms) {
      s.ping_sent_ms = now;
      outbox.ping(s.connection_id());
    }
  });
}

void LwsOutbox::ping(channels::ConnectionId to) {
  WsSession* s = WsSession::from_id(to);
  if (s->close_pending) return;
  s->ping_pending = true;
  lws_callback_on_writable(s->wsi);
}

int websocket_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) noexcept {
  auto** slot = static_cast<WsSession**>(user);
  WsSession* s = slot ? *slot : nullptr;
  try {
    switch (reason) {
      case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        auto* server = static_cast<ServerImpl*>(lws_context_user(lws_get_context(wsi)));
        auto session = std::make_unique<WsSession>();
        session->wsi = wsi;
        session->server = server;
        classify_upgrade(*session, wsi);
        *slot = session.release();
        server->live_sessions++;
        return 0;
      }
      case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        // lws 4.1 asks the protocol being upgraded to (ours, the default).
        return confirm_feed_upgrade(*static_cast<ServerImpl*>(lws_context_user(lws_get_context(wsi))), wsi);
      case LWS_CALLBACK_ESTABLISHED:
        if (s) on_established(*s);
        return 0;
      case LWS_CALLBACK_RECEIVE: {
        if (!s) return -1;
        const std::string_view chunk(static_cast<const char*>(in), len);
        const bool complete = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
        // Closing: whatever else arrives is read and dropped, never buffered.
        if (s->close_pending) return 0;
        if (s->rx.size() + chunk.size() > s->server->max_message_bytes()) {
          // Not a hang-up from here: with the client's unread bytes still in
          // the socket the kernel would answer with a reset and the 1009 close
          // frame would be lost. The close goes out like any other, and lws
          // discards input until the client acknowledges it (or times out).
          s->rx.clear();
          s->rx.shrink_to_fit();
          if (s->kind == WsSession::Kind::Custom) s->handler->on_error(*s, "message too big");
          s->request_close(LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "Message too big");
          return 0;
        }
        if (s->kind == WsSession::Kind::Feed) {
          // Watchers send nothing meaningful; anything proves liveness.
          s->last_seen_ms = s->server->clock.monotonic_ms();
          s->ping_sent_ms = 0;
          return 0;
        }
        if (complete && s->rx.empty()) {
          on_message(*s, chunk);  // whole message in one piece: no copy
        } else {
          s->rx.append(chunk);
          if (complete) {
            std::string message = std::move(s->rx);
            s->rx.clear();
            on_message(*s, message);
          }
        }
        return 0;
      }
      case LWS_CALLBACK_RECEIVE_PONG:
        if (s && s->kind == WsSession::Kind::Pusher) s->server->hub->note_activity(s->connection_id());
        if (s && s->kind == WsSession::Kind::Feed) {
          s->last_seen_ms = s->server->clock.monotonic_ms();
          s->ping_sent_ms = 0;
        }
        return 0;
      case LWS_CALLBACK_SERVER_WRITEABLE:
        return s ? on_writable(*s) : -1;
      case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (s) s->peer_closing = true;
        if (s && len >= 2) {
          auto* bytes = static_cast<const unsigned char*>(in);
          s->close_code = static_cast<std::uint16_t>((bytes[0] << 8) | bytes[1]);
        }
        return 0;
      case LWS_CALLBACK_CLOSED:
        if (s) on_closed(*s);
        return 0;
      case LWS_CALLBACK_WS_SERVER_DROP_PROTOCOL:
        // The per-session memory is about to go: the last point to free ours.
        if (s) {
          on_closed(*s);
          s->server->unschedule_flush(*s);
          s->server->live_sessions--;
          delete s;
          *slot = nullptr;
        }
        return 0;
      default:
        return 0;
    }
  } catch (const std::exception& e) {
    lwsl_err("pws: websocket callback %d failed: %s\n", static_cast<int>(reason), e.what());
    return -1;
  } catch (...) {
    lwsl_err("pws: websocket callback %d failed\n", static_cast<int>(reason));
    return -1;
  }
}

}  // namespace pws::server
