// Internal to lib/server: one event loop's state, shared by its context, the
// WebSocket and HTTP callbacks and the timers. Everything here runs on the
// loop's thread, except Server::stop(), which only sets an atomic and wakes
// it. With several loops ([server] event_loops), each has one of these with
// its own hub, joined to the others' by a LocalBus (lib/server/README.md).
#pragma once

#include <libwebsockets.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "channels/hub.hpp"
#include "cluster/cluster_node.hpp"
#include "cluster/local_bus.hpp"
#include "dashboard/dashboard.hpp"
#include "http_api/api.hpp"
#include "registry/config.hpp"
#include "server/config_watch.hpp"
#include "server/console_log.hpp"
#include "server/event_feed.hpp"
#include "server/drain_barrier.hpp"
#include "server/event_loop.hpp"
#include "server/feed_relay.hpp"
#include "server/webhook_figures_sum.hpp"
#include "server/out_queue.hpp"
#include "server/server.hpp"
#include "server/statistics_recorder.hpp"
#include "server/write_pool.hpp"
#include "webhooks/webhooks.hpp"

namespace pws::server {

struct ServerImpl;

/// How the last direct write of a session went (direct_send.hpp).
enum class SendResult : unsigned char { Sent, Partial, WouldBlock, Failed };

/// One WebSocket connection (Pusher, custom endpoint or feed watcher).
/// Allocated when the upgrade is filtered, freed on LWS_CALLBACK_CLOSED. Its
/// address is its ConnectionId, so the hub reaches it with no lookup.
/// Watchers (Kind::Feed) are never known to the hub, only to the EventFeed.
struct WsSession final : WebSocket, FeedSink {
  enum class Kind : unsigned char { Pusher, Custom, UnknownPath, Feed };

  lws* wsi = nullptr;
  ServerImpl* server = nullptr;
  Kind kind = Kind::Pusher;
  bool opened = false;         // hub.open / handler.on_open ran
  bool closed = false;         // hub.close / handler.on_close ran
  bool ping_pending = false;   // a protocol ping frame is due
  bool close_pending = false;  // close once the queue is written
  bool close_sent = false;       // our close frame is out; input is drained until the client closes
  bool write_side_shut = false;  // FIN sent after the close frame (close_lingering)
  bool peer_closing = false;     // the client's close frame arrived: lws answers it, we write nothing more
  bool flush_listed = false;     // in ServerImpl::flush_list, at flush_slot
  bool tls = false;
  int fd = -1;                   // the socket, for direct writes (plain TCP only)
  SendResult send_result = SendResult::Sent;
  std::size_t partial_sent = 0;  // after SendResult::Partial: bytes of the front frame already sent
  std::size_t flush_slot = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
  OutQueue queue;
  std::string rx;  // fragments of a message being assembled

  // Handshake details, captured while the headers are available.
  std::string request_path;
  std::string app_key;
  std::optional<std::string> protocol;
  std::string origin;
  WebSocketHandler* handler = nullptr;

  // Feed watchers: the app watched, and liveness for the ping sweep.
  std::string feed_app_id;
  bool feed_registered = false;  // in server->feed, until the close callback
  std::int64_t last_seen_ms = 0;
  std::int64_t ping_sent_ms = 0;  // 0 = no ping outstanding

  channels::ConnectionId connection_id() const noexcept {
    return reinterpret_cast<channels::ConnectionId>(this);
  }
  static WsSession* from_id(channels::ConnectionId id) noexcept {
    return reinterpret_cast<WsSession*>(id);
  }

  /// Queues a frame unless closing; closes with 4100 when over the bounds.
  void enqueue(const protocol::Frame& frame);
  void request_close(int code, std::string_view reason);

  // WebSocket (custom endpoints)
  std::uint64_t id() const override { return connection_id(); }
  const std::string& path() const override { return request_path; }
  void send(std::string_view text) override { enqueue(protocol::Frame::from_payload(text)); }
  void close(int code, std::string_view reason) override { request_close(code, reason); }

  // FeedSink (watchers)
  void feed_send(const protocol::Frame& frame) override { enqueue(frame); }
  void feed_close(int code, std::string_view reason) override { request_close(code, reason); }
};

/// The hub's Outbox over WsSession queues.
class LwsOutbox final : public channels::Outbox {
 public:
  void send(channels::ConnectionId to, const protocol::Frame& frame) override {
    WsSession::from_id(to)->enqueue(frame);
  }
  void ping(channels::ConnectionId to) override;
  void close(channels::ConnectionId to, int close_code, std::string_view reason) override {
    WsSession::from_id(to)->request_close(close_code, reason);
  }
};

struct SweepTimer {
  lws_sorted_usec_list_t sul;  // must stay first: the callback casts back
  ServerImpl* server;
};

struct StatisticsTimer {
  lws_sorted_usec_list_t sul;  // must stay first: the callback casts back
  ServerImpl* server;
};

/// Where one event loop stands among the loops of one `pws serve`.
struct LoopPlacement {
  int index = 0;  ///< loop 0 says what is said once (startup, reloads)
  int count = 1;
  std::shared_ptr<cluster::LocalExchange> exchange;  ///< null with one loop
  std::shared_ptr<FeedExchange> feed_exchange;       ///< null with one loop
  /// Every loop's connections, for the connection limits; null with one loop.
  std::shared_ptr<channels::ConnectionLedger> connections;
  std::shared_ptr<channels::SharedThrottle> cache_misses;  ///< null with one loop
  std::shared_ptr<channels::SharedCounters> counters;      ///< null with one loop
  std::shared_ptr<std::atomic<std::uint64_t>> join_sequence;  ///< presence join order; null with one loop
  std::shared_ptr<WebhookFiguresSum> webhook_figures;      ///< null with one loop
  std::shared_ptr<DrainBarrier> drain;                     ///< null with one loop
  unsigned write_helpers = WritePool::default_helpers();
};

struct ServerImpl {
  explicit ServerImpl(registry::Config c, LoopPlacement where = {});
  ~ServerImpl();

  /// Creates the context and its listener on `port_to_bind` (0 = a free one).
  Status start_loop(int port_to_bind);
  /// Serves until stopped, then drains and tears down (on the loop's thread);
  /// the statistics are finished by Server::run once every loop is done.
  void serve();
  /// With several loops: applies what the other loops said before a request
  /// is answered, so it sees every change that happened before it was sent.
  void catch_up() {
    if (placement.count == 1) return;
    if (feed_relay) feed_relay->replay(*feed, hub->apps());
    if (cluster) cluster->poll();
  }
  bool speaks_for_process() const noexcept { return placement.index == 0; }

  const LoopPlacement placement;
  registry::Config config;
  channels::SystemClock clock;
  LwsOutbox outbox;
  std::unique_ptr<channels::Hub> hub;
  std::unique_ptr<http_api::Api> api;
  std::unique_ptr<dashboard::Dashboard> dashboard;  // null when [dashboard] enabled = false
  std::unique_ptr<ConsoleLog> console_log;
  std::unique_ptr<EventFeed> feed;  // always registered; costs one branch per hub event while unwatched
  std::unique_ptr<FeedRelay> feed_relay;  // with several loops: the other loops' events for this feed
  std::unique_ptr<StatisticsRecorder> statistics;  // null when [statistics] enabled = false
  std::unique_ptr<ConfigWatch> config_watch;       // null when there is no config file
  std::unique_ptr<webhooks::Webhooks> webhooks;    // threads only once some app has a webhook
  std::unique_ptr<cluster::ClusterNode> cluster;   // null when [redis] has no url (alone)
  ssl_ctx_st* tls_context = nullptr;  // the vhost's, captured while lws creates it (null without TLS)
  std::map<std::string, std::shared_ptr<WebSocketHandler>> routes;

  std::string listen_address;  // what lws binds; "" = every interface
  int listen_fd = -1;          // with several loops: this loop's SO_REUSEPORT socket (lws closes it)
  EventLoop loop;              // outlives the context created on it
  lws_context* context = nullptr;
  // The context for other threads to wake (the signal relay, Server::stop):
  // cleared, under the lock, before the context is destroyed.
  std::mutex wake_mutex;
  lws_context* wakeable = nullptr;
  /// Wakes the loop from any thread (not from a signal handler).
  void wake() {
    std::lock_guard lock(wake_mutex);
    if (wakeable) lws_cancel_service(wakeable);
  }
  lws_vhost* vhost = nullptr;
  int port = 0;
  SweepTimer sweep_timer{};
  StatisticsTimer statistics_timer{};
  unsigned sweeps = 0;

  std::atomic<bool> stop_requested{false};
  std::atomic<bool> reload_requested{false};  // SIGHUP
  bool draining = false;
  bool watchers_open = true;  // until the drain closes them (after every loop's clients)
  std::int64_t drain_deadline_ms = 0;
  std::size_t live_sessions = 0;
  std::string write_scratch;  // reused buffer for coalesced writes
  /// Sessions with frames queued since the last flush (see flush_writes);
  /// a slot is nulled when its session goes first.
  std::vector<WsSession*> flush_list;
  std::vector<WsSession*> direct_writes;  // flush_writes' scratch: the sessions written past lws
  WritePool write_pool{placement.write_helpers};

  /// Lists `session` for the next flush_writes (once per loop iteration).
  void schedule_flush(WsSession& session) {
    session.flush_listed = true;
    session.flush_slot = flush_list.size();
    flush_list.push_back(&session);
  }
  void unschedule_flush(WsSession& session) {
    if (!session.flush_listed) return;
    flush_list[session.flush_slot] = nullptr;
    session.flush_listed = false;
  }
  /// Writes what every listed session queued during this loop iteration
  /// (ws_session.cpp).
  void flush_writes();
  /// After a direct write: hands a partly sent frame to lws, closes a failed
  /// connection, asks for a writable callback when frames remain.
  void settle_direct_write(WsSession& session);
  /// A write failed outside the session's callbacks: lws closes it soon.
  void fail_write(WsSession& session);

  std::size_t max_outbound_messages() const {
    return static_cast<std::size_t>(config.server.max_outbound_messages);
  }
  std::size_t max_outbound_bytes() const {
    return static_cast<std::size_t>(config.server.max_outbound_bytes_in_kb) * 1024;
  }
  std::size_t max_message_bytes() const {
    return static_cast<std::size_t>(config.server.max_message_size_in_kb) * 1024;
  }
  std::size_t max_request_bytes() const {
    return static_cast<std::size_t>(config.server.max_request_size_in_kb) * 1024;
  }

  /// A complete HTTP request: the dashboard's when under its path, else the API's.
  http_api::Response handle_http(const http_api::Request& request);

  /// True when `path` (as received) is the feed endpoint {prefix}/feed.
  bool is_feed_path(std::string_view path) const;
  /// Pings idle watchers and closes those that did not answer (4201).
  void sweep_watchers();

  void begin_drain();
  /// Closes the feed watchers once every loop has closed its clients.
  void close_watchers_when_drained();
  /// Loads the registry file again and swaps in its apps (SIGHUP or a
  /// change on disk); a broken file is reported and the running apps kept.
  void reload_registry(std::string_view why);
  /// Installs the certificate and key named by config.server.tls again
  /// (SIGHUP: renewed files); a broken pair is reported and the running one
  /// kept. Connections already open keep theirs.
  void reload_tls(std::string_view why);
  /// Joins the cluster named by [redis] (the port must be known: it is part
  /// of the default node id), or the process's other loops.
  void join_cluster();
  void destroy_context();
};

/// libwebsockets callbacks (ws_session.cpp, http_session.cpp).
int websocket_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) noexcept;
int http_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, std::size_t len) noexcept;

/// LWS_CALLBACK_HTTP_CONFIRM_UPGRADE (http_session.cpp): a feed watcher is
/// admitted or refused while the request is still HTTP, so a refusal is a
/// plain HTTP response (404 / 401 / 403, JSON body) the client can read.
/// Returns 0 to let the upgrade proceed (any path but the feed's), 1 when a
/// refusal was written, -1 to hang up.
int confirm_feed_upgrade(ServerImpl& server, lws* wsi);

}  // namespace pws::server
