// Internal to lib/channels: the hub's state types, shared by hub.cpp (the
// protocol) and hub_cluster.cpp (what other nodes reported).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "channels/hub.hpp"

namespace pws::channels {

/// Calls `f` on every observer (hub.cpp and hub_cluster.cpp report events).
template <class F>
void notify(const std::vector<Observer*>& observers, F&& f) {
  for (Observer* o : observers) f(*o);
}


struct Hub::Member {
  struct Session {
    const Connection* connection;
    std::string user_info_json;  // compact JSON, "{}" when none was given
  };
  std::string user_id;
  // The user's connections in the channel in join order; the info shown is
  // that of the first one still present (section 2.4).
  std::vector<Session> sessions;
  std::uint64_t joined = 0;  // on HubSettings::join_sequence, 0 = not kept

  const std::string& user_info_json() const { return sessions.front().user_info_json; }
};

struct Hub::Subscription {
  Channel* channel;
  std::size_t index;    // position of the connection in channel->subscribers
  std::string user_id;  // presence member id, empty otherwise
};

struct Hub::CachedEvent {
  protocol::Frame frame;  // the event as delivered, replayed as is
  std::string data;
  std::int64_t expires_ms = 0;  // monotonic
};

struct Hub::Channel {
  std::string name;
  protocol::ChannelType type;
  std::vector<Connection*> subscribers;
  std::vector<Member> members;  // presence only, in join order
  std::int64_t count_sent_ms = 0;  // last pusher_internal:subscription_count
  bool count_pending = false;      // a throttled count is waiting for the sweep
  std::int64_t cache_miss_notified_ms = -1;  // last on_cache_miss (webhooks: at most 1/s)

  Member* find_member(std::string_view user_id) {
    for (auto& m : members)
      if (m.user_id == user_id) return &m;
    return nullptr;
  }
};

struct Hub::Connection {
  ConnectionId id = 0;
  std::string socket_id;
  AppState* app = nullptr;
  std::vector<Subscription> subscriptions;
  std::int64_t auth_deadline_ms = 0;  // authorized-connections mode (8.4), 0 = none
  std::int64_t last_seen_ms = 0;
  std::int64_t ping_sent_ms = 0;  // 0 = no ping outstanding
  std::int64_t rate_window_ms = 0;
  int rate_count = 0;
  std::string user_id;  // set by pusher:signin
  std::string user_info_json;
  std::vector<std::string> watchlist;  // user ids this connection follows (2.15)
  bool authorized = false;  // signed in or joined a private/presence channel (8.4)

  Subscription* find_subscription(std::string_view channel) {
    for (auto& s : subscriptions)
      if (s.channel->name == channel) return &s;
    return nullptr;
  }
};

// What the other nodes of a cluster reported about one channel.
struct Hub::RemoteMember {
  struct Session {
    std::string node;
    std::string socket_id;
    std::string user_info_json;
  };
  std::string user_id;
  std::vector<Session> sessions;  // join order; the first one's info is shown
  std::uint64_t joined = 0;       // the earliest of its sessions', 0 = not kept
};

struct Hub::RemoteChannel {
  std::unordered_map<std::string, std::size_t> subscriptions;  // by node
  std::vector<RemoteMember> members;                           // presence only, join order

  std::size_t total_subscriptions() const {
    std::size_t n = 0;
    for (const auto& [node, count] : subscriptions) n += count;
    return n;
  }
  RemoteMember* find_member(std::string_view user_id) {
    for (auto& m : members)
      if (m.user_id == user_id) return &m;
    return nullptr;
  }
  /// Records a node's presence session, once; a new member joins the end.
  void add_session(std::string_view node, const PresenceSession& session) {
    RemoteMember* member = find_member(session.user_id);
    if (!member) member = &members.emplace_back(RemoteMember{session.user_id, {}, session.joined});
    if (session.joined && (!member->joined || session.joined < member->joined)) member->joined = session.joined;
    for (const auto& s : member->sessions)
      if (s.node == node && s.socket_id == session.socket_id) return;
    member->sessions.push_back({std::string(node), session.socket_id, session.user_info_json});
  }
  bool empty() const { return subscriptions.empty() && members.empty(); }
};

struct Hub::AppState {
  std::shared_ptr<const App> app;
  std::unordered_map<std::string, std::unique_ptr<Channel>> channels;
  // Connections signed in per user id, for #server-to-user- delivery and
  // terminate_connections.
  std::unordered_map<std::string, std::vector<Connection*>> users;
  // Connections following each user id with a watchlist (2.15).
  std::unordered_map<std::string, std::vector<Connection*>> watchers;
  // Cache channels' last API event, kept while the channel is vacant too (2.12).
  std::unordered_map<std::string, CachedEvent> cache;
  AppCounters counters;
  AtomicAppCounters* shared_counters = nullptr;  // with several event loops (HubSettings)
  // ---- Cluster: what the other nodes reported (empty when alone) ----
  std::unordered_map<std::string, RemoteChannel> remote_channels;
  std::unordered_map<std::string, std::int64_t> remote_connections;  // by node
  // Users signed in on other nodes: (node, socket id) of each connection (2.15).
  std::unordered_map<std::string, std::vector<std::pair<std::string, std::string>>> remote_users;
};

}  // namespace pws::channels
