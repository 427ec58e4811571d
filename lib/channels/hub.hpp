// Hub: all channel state of one event loop: apps -> channels -> subscribers,
// presence members, socket ids, signed-in users and per-app counters. It
// decides every protocol outcome and talks to connections only through an
// Outbox, so it is unit-tested with no sockets. Single-threaded: the loop
// that owns the hub is the only caller.
//
// Must not include libwebsockets, SQLite, toml++ or socket headers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "channels/app.hpp"
#include "channels/clock.hpp"
#include "channels/cluster_link.hpp"
#include "channels/connection_ledger.hpp"
#include "channels/shared_counters.hpp"
#include "channels/shared_throttle.hpp"
#include "channels/observer.hpp"
#include "channels/outbox.hpp"
#include "protocol/channel_name.hpp"
#include "protocol/client_message.hpp"
#include "protocol/frame.hpp"
#include "protocol/server_message.hpp"

namespace boost::json {
class object;
}

namespace pws::channels {

/// Server-wide settings the hub applies to every app.
struct HubSettings {
  int activity_timeout_s = 30;  ///< announced in connection_established
  int ping_interval_ms = 60'000;
  int pong_timeout_ms = 30'000;
  bool require_protocol = false;
  std::int64_t max_connections = -1;  ///< server-wide cap (4100), -1 = none
  /// With several event loops (one hub each): every hub's connections, for
  /// the connection limits; null with one hub, which counts its own.
  ConnectionLedger* ledger = nullptr;
  /// With several event loops: cache_miss at most once a second per channel
  /// over all hubs (2.12); null with one hub.
  SharedThrottle* cache_miss_throttle = nullptr;
  /// With several event loops: every hub's traffic counters, per app.
  SharedCounters* shared_counters = nullptr;
  /// With several event loops: stamps presence members so that every hub
  /// lists them in the order they joined, over all hubs (2.4).
  std::atomic<std::uint64_t>* join_sequence = nullptr;
};

/// What the server knows about a WebSocket upgrade to /app/{key}.
struct OpenRequest {
  std::string_view app_key;
  /// The `protocol` query parameter; nullopt when absent.
  std::optional<std::string_view> protocol;
  std::string_view origin;
  bool tls = false;
};

/// Per-app figures kept on the hot path without locks (statistics, metrics).
struct AppCounters {
  std::int64_t connections = 0;
  std::int64_t peak_connections = 0;  ///< since take_peak_connections()
  std::uint64_t websocket_messages_in = 0;
  std::uint64_t api_messages = 0;
  std::uint64_t messages_out = 0;    ///< every frame queued to a client
  std::uint64_t bytes_in = 0;        ///< WebSocket message payload bytes received
  std::uint64_t bytes_out = 0;       ///< payload bytes queued to clients
  std::uint64_t connections_opened = 0;
  // Gauges, computed by counters():
  std::size_t channels = 0;       ///< occupied channels
  std::size_t subscriptions = 0;  ///< channel subscriptions over all connections
};

/// What GET /channels/{name} and trigger `info` report.
struct ChannelInfo {
  bool occupied = false;
  std::size_t subscription_count = 0;
  std::size_t user_count = 0;
};

/// What GET /channels/{name}?info=cache reports (5.8).
struct CachedEventInfo {
  std::string data;
  std::int64_t ttl_seconds = 0;  ///< left, rounded up
};

/// Cache channels remembered per app at most; beyond, the one nearest expiry
/// is forgotten.
inline constexpr std::size_t kMaxCachedChannelsPerApp = 10'000;

/// One event to publish from the HTTP API.
struct PublishRequest {
  std::string_view name;
  std::string_view data;
  std::vector<std::string> channels;
  std::string_view except_socket_id;  ///< empty = deliver to all
};

class Hub {
 public:
  Hub(Outbox& outbox, const Clock& clock, HubSettings settings,
      std::shared_ptr<const AppDirectory> apps);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  void add_observer(Observer* observer);
  void remove_observer(Observer* observer);

  /// Swap in a new app directory. Connections of apps whose key, secret and
  /// switches are unchanged keep running; removed apps' connections are
  /// closed with 4001, disabled apps' with 4003.
  void set_apps(std::shared_ptr<const AppDirectory> apps);
  const AppDirectory& apps() const noexcept { return *apps_; }
  const HubSettings& settings() const noexcept { return settings_; }

  // ---- Connections (WebSocket side) ----

  /// Runs the handshake checks of section 1.4. On success the connection is
  /// registered and receives pusher:connection_established; on failure it gets
  /// pusher:error and a close with the same code, and is not registered.
  bool open(ConnectionId id, const OpenRequest& request);

  /// One complete text (or binary) message from the client.
  void receive(ConnectionId id, std::string_view text);

  /// Any inbound frame (including WebSocket ping/pong) proves liveness.
  void note_activity(ConnectionId id);

  /// The connection is gone: leave every channel (member_removed, vacated).
  /// Safe to call more than once and for connections never opened.
  void close(ConnectionId id);

  /// Ping idle connections and close those that did not answer (4201).
  /// Call periodically (every second or so).
  void sweep();

  /// Send every connection pusher:error 4200 and close it (graceful stop).
  void close_all(Errc reason);

  // ---- HTTP API side ----

  /// Publishes one event to each channel. Assumes validation was done.
  void publish(const App& app, const PublishRequest& request);

  ChannelInfo channel_info(const App& app, std::string_view channel) const;
  /// Occupied channels whose name starts with `prefix` (user channels excluded).
  std::vector<std::string> occupied_channels(const App& app, std::string_view prefix) const;
  /// The cache channel's remembered event; nullopt when none or expired.
  std::optional<CachedEventInfo> cached_event(const App& app, std::string_view channel) const;
  /// Distinct presence user ids of `channel`, in join order.
  std::vector<std::string> presence_user_ids(const App& app, std::string_view channel) const;
  /// Closes every connection signed in as `user_id` with 4009.
  void terminate_user_connections(const App& app, std::string_view user_id);

  // ---- Figures ----

  std::size_t connection_count() const noexcept { return connections_.size(); }
  /// Counters of the app with this id (zeros if unknown).
  AppCounters counters(std::string_view app_id) const;
  /// The whole server's figures for `app`: with several event loops every
  /// loop's traffic and connections, and the channels and subscriptions as
  /// this hub sees them across loops; else counters().
  AppCounters server_counters(const App& app) const;
  /// Returns the peak since the last call and restarts it at the current count.
  std::int64_t take_peak_connections(std::string_view app_id);
  void count_api_message(const App& app);

  std::string_view socket_id_of(ConnectionId id) const;

  // ---- Cluster (hub_cluster.cpp) ----
  // Queries above answer for the whole cluster: local figures plus what the
  // other nodes reported. Events and membership changes of other nodes come
  // in through these calls and reach this hub's connections only; observers
  // (webhooks) hear cluster-wide transitions on the node that caused them.

  /// Tell `link` about every local change from now on; nullptr = alone.
  void set_cluster_link(ClusterLink* link) noexcept { link_ = link; }
  /// An HTTP API event published on another node.
  void deliver_remote_event(const App& app, const PublishRequest& request);
  /// A client event relayed by another node (its sender is not here).
  void deliver_remote_client_event(const App& app, std::string_view channel, std::string_view event,
                                   std::string_view data, std::string_view user_id);
  void remote_member_joined(std::string_view node, const App& app, std::string_view channel,
                            const PresenceSession& session);
  void remote_member_left(std::string_view node, const App& app, std::string_view channel,
                          std::string_view socket_id);
  void remote_subscriptions(std::string_view node, const App& app, std::string_view channel, std::size_t count);
  void remote_connections(std::string_view node, const App& app, std::int64_t count);
  void remote_user_signed_in(std::string_view node, const App& app, std::string_view user_id,
                             std::string_view socket_id);
  void remote_user_signed_out(std::string_view node, const App& app, std::string_view user_id,
                              std::string_view socket_id);
  /// terminate_connections from another node: close the user's local connections.
  void terminate_local_user_connections(const App& app, std::string_view user_id);
  /// Replaces all that is known of `node` (an empty share: it left or died),
  /// sending member_added / member_removed for the difference only.
  void replace_node(std::string_view node, const NodeShare& share);
  /// This node's part of the cluster state, for a node that (re)joins.
  NodeShare local_share() const;

 private:
  struct Member;
  struct CachedEvent;
  struct Subscription;
  struct Channel;
  struct Connection;
  struct AppState;
  struct RemoteMember;
  struct RemoteChannel;

  Connection* find(ConnectionId id) const;
  AppState& state_for(const App& app);
  const AppState* state_for(const App& app) const;
  std::string new_socket_id();

  void handle(Connection& c, protocol::Subscribe& sub);
  void handle(Connection& c, const protocol::Unsubscribe& unsub);
  void handle(Connection& c, const protocol::Signin& signin);
  void handle(Connection& c, const protocol::ClientTrigger& trigger);

  void send_error(Connection& c, Errc e, std::string_view message);
  void fail_subscription(Connection& c, std::string_view channel, Errc e, std::string_view message);
  void close_with(Connection& c, Errc e, std::string_view message);
  /// pusher_internal:subscription_succeeded, with the member list on presence channels.
  protocol::Frame subscription_ack(const AppState& state, const Channel& channel) const;
  void unsubscribe(Connection& c, std::size_t subscription_index);
  void remove_connection(Connection& c);
  /// Queues `frame` to `c` and counts it.
  void send(Connection& c, const protocol::Frame& frame);
  static void count_sent(AppState& state, const protocol::Frame& frame, std::uint64_t recipients);
  void broadcast(Channel& channel, const protocol::Frame& frame, const Connection* except);
  void send_subscription_count(AppState& state, Channel& channel);
  void broadcast_subscription_count(AppState& state, Channel& channel, std::int64_t now);
  /// After a signin with watchlist events on: follow the ids, send the initial list.
  void start_watchlist(Connection& c, const boost::json::object& user_data);
  /// `user_id` came online (first signed-in connection) or went offline (last one left).
  void notify_watchers(AppState& state, const std::string& user_id, bool online);
  /// Right after a cache channel's subscription_succeeded: its event or pusher:cache_miss.
  void replay_cache(AppState& state, Channel& channel, Connection& c);
  void remember(AppState& state, const std::string& channel, const protocol::Frame& frame, std::string_view data);
  void flush_subscription_counts(std::int64_t now);
  /// Delivers an API event to this hub's subscribers (and the cache).
  void deliver_event(AppState& state, const PublishRequest& request, const Connection* except, bool notify_api);

  // Cluster (hub_cluster.cpp)
  const RemoteChannel* remote_channel(const AppState& state, std::string_view channel) const;
  bool remote_has_member(const AppState& state, std::string_view channel, std::string_view user_id) const;
  std::size_t remote_subscriptions(const AppState& state, std::string_view channel) const;
  std::int64_t remote_connections(const AppState& state) const;
  /// Presence members of the cluster: local ones in join order, then remote-only ones.
  std::vector<protocol::PresenceMember> cluster_members(const AppState& state, const Channel* local,
                                                        std::string_view channel) const;
  std::size_t cluster_member_count(const AppState& state, const Channel* local, std::string_view channel) const;
  /// Applies `change` to the remote state of `channel` and tells local
  /// subscribers which users appeared or vanished cluster-wide.
  template <class Change>
  void change_remote_presence(AppState& state, const std::string& channel, Change&& change);
  /// Replaces the signed-in users known of `node` with `users` (socket id, user id).
  void replace_node_users(AppState& state, std::string_view node,
                          const std::vector<std::pair<std::string, std::string>>* users);
  /// Cache entries of another node, where newer than ours.
  void adopt_cache(AppState& state, const std::vector<CachedShare>& cache);
  /// After a remote subscription change: the local subscription_count event.
  void remote_count_changed(AppState& state, const std::string& channel);

  Outbox& outbox_;
  const Clock& clock_;
  HubSettings settings_;
  std::shared_ptr<const AppDirectory> apps_;
  std::vector<Observer*> observers_;
  ClusterLink* link_ = nullptr;
  std::unordered_map<ConnectionId, std::unique_ptr<Connection>> connections_;
  std::unordered_map<std::string, Connection*> by_socket_id_;
  std::unordered_map<std::string, std::unique_ptr<AppState>> app_states_;  // by app id
  /// Channels (app id, name) whose throttled subscription count is due.
  std::vector<std::pair<std::string, std::string>> pending_counts_;
  // Constant frames, encoded once per hub (not per process: each event loop
  // owns its frames, since lws writes the WebSocket header into them).
  const protocol::Frame ping_frame_;
  const protocol::Frame pong_frame_;
};

}  // namespace pws::channels
