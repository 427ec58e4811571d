// The hub's side of a cluster (issue 7): what the other nodes reported, how
// it joins this node's figures in queries, and their events and membership
// changes reaching this node's connections. The transport is lib/cluster.
//
// Presence across nodes: each node keeps every other node's presence
// sessions (node, socket id, user). A user is present while any node has a
// session; a node tells its own subscribers when a user appears or vanishes
// in its view of the whole cluster. Every node sees every change, so every
// subscriber hears member_added and member_removed once per user, whichever
// node the user is on.
#include <algorithm>

#include "channels/hub.hpp"
#include "channels/hub_state.hpp"
#include "protocol/channel_name.hpp"
#include "protocol/server_message.hpp"

namespace pws::channels {

using protocol::Frame;

// ---- Queries over the remote state ----

const Hub::RemoteChannel* Hub::remote_channel(const AppState& state, std::string_view channel) const {
  if (state.remote_channels.empty()) return nullptr;  // alone: no lookup, no allocation
  auto it = state.remote_channels.find(std::string(channel));
  return it == state.remote_channels.end() ? nullptr : &it->second;
}

bool Hub::remote_has_member(const AppState& state, std::string_view channel, std::string_view user_id) const {
  const RemoteChannel* remote = remote_channel(state, channel);
  if (!remote) return false;
  return std::any_of(remote->members.begin(), remote->members.end(),
                     [&](const RemoteMember& m) { return m.user_id == user_id; });
}

std::size_t Hub::remote_subscriptions(const AppState& state, std::string_view channel) const {
  const RemoteChannel* remote = remote_channel(state, channel);
  return remote ? remote->total_subscriptions() : 0;
}

std::int64_t Hub::remote_connections(const AppState& state) const {
  std::int64_t total = 0;
  for (const auto& [node, count] : state.remote_connections) total += count;
  return total;
}

std::vector<protocol::PresenceMember> Hub::cluster_members(const AppState& state, const Channel* local,
                                                           std::string_view channel) const {
  std::vector<protocol::PresenceMember> list;
  std::vector<std::uint64_t> joined;  // parallel to list
  if (local) {
    list.reserve(local->members.size());
    for (const auto& m : local->members) {
      list.push_back({m.user_id, m.user_info_json()});
      joined.push_back(m.joined);
    }
  }
  const RemoteChannel* remote = remote_channel(state, channel);
  if (!remote) return list;
  for (const auto& m : remote->members) {
    const auto here = std::find_if(list.begin(), list.end(), [&](const auto& x) { return x.user_id == m.user_id; });
    if (here == list.end()) {
      list.push_back({m.user_id, m.sessions.front().user_info_json});
      joined.push_back(m.joined);
    } else if (std::uint64_t& mine = joined[static_cast<std::size_t>(here - list.begin())]; m.joined && m.joined < mine) {
      mine = m.joined;  // joined on another loop first
    }
  }
  if (!settings_.join_sequence) return list;
  // The event loops of one process share a join sequence: users in the order
  // they joined the channel, whichever loop they are on (2.4).
  std::vector<std::size_t> order(list.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return joined[a] < joined[b]; });
  std::vector<protocol::PresenceMember> sorted;
  sorted.reserve(list.size());
  for (std::size_t i : order) sorted.push_back(std::move(list[i]));
  return sorted;
}

std::size_t Hub::cluster_member_count(const AppState& state, const Channel* local, std::string_view channel) const {
  if (!remote_channel(state, channel)) return local ? local->members.size() : 0;
  return cluster_members(state, local, channel).size();
}

// ---- Changes reported by other nodes ----

template <class Change>
void Hub::change_remote_presence(AppState& state, const std::string& channel, Change&& change) {
  RemoteChannel& remote = state.remote_channels[channel];
  auto found = state.channels.find(channel);
  Channel* local = found == state.channels.end() ? nullptr : found->second.get();
  // Users present only on other nodes, before and after: local members are
  // unaffected by a remote change, so the difference is the cluster's.
  auto remote_only = [&] {
    std::vector<std::pair<std::string, std::string>> users;  // id, info
    for (const auto& m : remote.members)
      if (!local || !local->find_member(m.user_id)) users.emplace_back(m.user_id, m.sessions.front().user_info_json);
    return users;
  };
  const std::size_t local_count = local ? local->subscribers.size() : 0;
  const bool occupied_before = local_count + remote.total_subscriptions() > 0;
  const auto before = remote_only();
  change(remote);
  std::erase_if(remote.members, [](const RemoteMember& m) { return m.sessions.empty(); });
  const auto after = remote_only();
  const bool occupied_after = local_count + remote.total_subscriptions() > 0;

  // Observers hear the cluster's transitions on every node (the dashboard
  // feed shows them); webhooks are sent by one node (ClusterNode::announces).
  const App& app = *state.app;
  if (!occupied_before && occupied_after)
    notify(observers_, [&](Observer& o) { o.on_channel_occupied(app, channel); });
  const bool tell_local = local && !local->subscribers.empty();
  auto contains = [](const auto& users, const std::string& id) {
    return std::any_of(users.begin(), users.end(), [&](const auto& u) { return u.first == id; });
  };
  // Plain loops, not structured bindings: clang 14 (the fuzz build) cannot
  // capture those in the observer lambdas.
  for (const auto& user : before) {
    const std::string& id = user.first;
    if (contains(after, id)) continue;
    if (tell_local) broadcast(*local, protocol::encode_member_removed(channel, id), nullptr);
    notify(observers_, [&](Observer& o) { o.on_member_removed(app, channel, id); });
  }
  for (const auto& user : after) {
    const std::string& id = user.first;
    if (contains(before, id)) continue;
    if (tell_local) broadcast(*local, protocol::encode_member_added(channel, id, user.second), nullptr);
    notify(observers_, [&](Observer& o) { o.on_member_added(app, channel, id); });
  }
  if (occupied_before && !occupied_after)
    notify(observers_, [&](Observer& o) { o.on_channel_vacated(app, channel); });
  if (remote.empty()) state.remote_channels.erase(channel);
}

void Hub::remote_count_changed(AppState& state, const std::string& channel) {
  if (!state.app->enable_subscription_count) return;
  auto found = state.channels.find(channel);
  if (found == state.channels.end() || found->second->type.is_presence()) return;
  send_subscription_count(state, *found->second);
}

void Hub::remote_member_joined(std::string_view node, const App& app, std::string_view channel,
                               const PresenceSession& session) {
  AppState& state = state_for(app);
  change_remote_presence(state, std::string(channel),
                         [&](RemoteChannel& remote) { remote.add_session(node, session); });
}

void Hub::remote_member_left(std::string_view node, const App& app, std::string_view channel,
                             std::string_view socket_id) {
  AppState& state = state_for(app);
  if (!remote_channel(state, channel)) return;
  change_remote_presence(state, std::string(channel), [&](RemoteChannel& remote) {
    for (auto& m : remote.members)
      std::erase_if(m.sessions, [&](const auto& s) { return s.node == node && s.socket_id == socket_id; });
  });
}

void Hub::remote_subscriptions(std::string_view node, const App& app, std::string_view channel, std::size_t count) {
  AppState& state = state_for(app);
  const std::string name(channel);
  std::size_t was = 0;
  if (const RemoteChannel* known = remote_channel(state, name)) {
    auto it = known->subscriptions.find(std::string(node));
    if (it != known->subscriptions.end()) was = it->second;
  }
  if (was == count) return;
  change_remote_presence(state, name, [&](RemoteChannel& remote) {
    if (count == 0) remote.subscriptions.erase(std::string(node));
    else remote.subscriptions[std::string(node)] = count;
  });
  remote_count_changed(state, name);
}

void Hub::remote_connections(std::string_view node, const App& app, std::int64_t count) {
  AppState& state = state_for(app);
  if (count > 0) state.remote_connections[std::string(node)] = count;
  else state.remote_connections.erase(std::string(node));
}

void Hub::remote_user_signed_in(std::string_view node, const App& app, std::string_view user_id,
                                std::string_view socket_id) {
  AppState& state = state_for(app);
  auto& sessions = state.remote_users[std::string(user_id)];
  for (const auto& [n, s] : sessions)
    if (n == node && s == socket_id) return;
  sessions.emplace_back(node, socket_id);
  if (sessions.size() == 1 && !state.users.contains(std::string(user_id)))
    notify_watchers(state, std::string(user_id), true);
}

void Hub::remote_user_signed_out(std::string_view node, const App& app, std::string_view user_id,
                                 std::string_view socket_id) {
  AppState& state = state_for(app);
  auto it = state.remote_users.find(std::string(user_id));
  if (it == state.remote_users.end()) return;
  std::erase_if(it->second, [&](const auto& session) { return session.first == node && session.second == socket_id; });
  if (!it->second.empty()) return;
  state.remote_users.erase(it);
  if (!state.users.contains(std::string(user_id))) notify_watchers(state, std::string(user_id), false);
}

void Hub::replace_node_users(AppState& state, std::string_view node,
                             const std::vector<std::pair<std::string, std::string>>* users) {
  std::vector<std::pair<std::string, std::string>> gone;  // (user id, socket id) of the node, no longer there
  for (const auto& [user_id, sessions] : state.remote_users)
    for (const auto& [n, socket_id] : sessions)
      if (n == node && (!users || std::find(users->begin(), users->end(), std::pair(socket_id, user_id)) == users->end()))
        gone.emplace_back(user_id, socket_id);
  if (users)
    for (const auto& [socket_id, user_id] : *users) remote_user_signed_in(node, *state.app, user_id, socket_id);
  for (const auto& [user_id, socket_id] : gone) remote_user_signed_out(node, *state.app, user_id, socket_id);
}

void Hub::replace_node(std::string_view node, const NodeShare& share) {
  // Every app that knows something of the node, and every app in the share.
  std::vector<AppState*> states;
  for (auto& [id, state] : app_states_) states.push_back(state.get());
  for (const auto& [app_id, app_share] : share.apps) {
    if (app_states_.contains(app_id)) continue;
    if (const App* app = apps_->find_by_id(app_id)) states.push_back(&state_for(*app));
  }
  for (AppState* state : states) {
    auto shared = share.apps.find(state->app->id);
    const AppShare* app_share = shared == share.apps.end() ? nullptr : &shared->second;

    std::vector<std::string> channels;
    for (const auto& [name, remote] : state->remote_channels) {
      const bool has_node = remote.subscriptions.contains(std::string(node)) ||
                            std::any_of(remote.members.begin(), remote.members.end(), [&](const RemoteMember& m) {
                              return std::any_of(m.sessions.begin(), m.sessions.end(),
                                                 [&](const auto& s) { return s.node == node; });
                            });
      if (has_node) channels.push_back(name);
    }
    if (app_share)
      for (const auto& [name, channel_share] : app_share->channels)
        if (std::find(channels.begin(), channels.end(), name) == channels.end()) channels.push_back(name);

    for (const std::string& name : channels) {
      const ChannelShare* wanted = nullptr;
      if (app_share) {
        auto it = app_share->channels.find(name);
        if (it != app_share->channels.end()) wanted = &it->second;
      }
      change_remote_presence(*state, name, [&](RemoteChannel& remote) {
        if (wanted && wanted->subscriptions > 0) remote.subscriptions[std::string(node)] = wanted->subscriptions;
        else remote.subscriptions.erase(std::string(node));
        // Sessions the node still has keep their place in the join order.
        for (auto& m : remote.members) {
          std::erase_if(m.sessions, [&](const auto& s) {
            if (s.node != node) return false;
            return !wanted || std::none_of(wanted->members.begin(), wanted->members.end(), [&](const PresenceSession& p) {
                     return p.socket_id == s.socket_id && p.user_id == m.user_id;
                   });
          });
        }
        if (!wanted) return;
        for (const PresenceSession& p : wanted->members) remote.add_session(node, p);
      });
      remote_count_changed(*state, name);
    }
    if (app_share && app_share->connections > 0) state->remote_connections[std::string(node)] = app_share->connections;
    else state->remote_connections.erase(std::string(node));
    if (app_share) adopt_cache(*state, app_share->cache);
    replace_node_users(*state, node, app_share ? &app_share->users : nullptr);
  }
}

void Hub::adopt_cache(AppState& state, const std::vector<CachedShare>& cache) {
  const std::int64_t now = clock_.monotonic_ms();
  for (const CachedShare& entry : cache) {
    if (entry.ttl_ms <= 0 || !protocol::classify_channel(entry.channel).cache) continue;
    auto mine = state.cache.find(entry.channel);
    // Whichever was published last lives longest: keep that one.
    if (mine != state.cache.end() && mine->second.expires_ms >= now + entry.ttl_ms) continue;
    remember(state, entry.channel, Frame::from_payload(entry.frame_payload), entry.data);
    state.cache[entry.channel].expires_ms = now + entry.ttl_ms;
  }
}

NodeShare Hub::local_share() const {
  NodeShare share;
  for (const auto& [app_id, state] : app_states_) {
    if (state->counters.connections == 0 && state->channels.empty() && state->cache.empty()) continue;
    AppShare& app = share.apps[app_id];
    app.connections = state->counters.connections;
    for (const auto& [name, channel] : state->channels) {
      if (channel->subscribers.empty()) continue;
      ChannelShare& out = app.channels[name];
      out.subscriptions = channel->subscribers.size();
      for (const auto& m : channel->members)
        for (const auto& session : m.sessions)
          out.members.push_back(PresenceSession{session.connection->socket_id, m.user_id, session.user_info_json, m.joined});
    }
    for (const auto& [user_id, connections] : state->users)
      for (const Connection* c : connections) app.users.emplace_back(c->socket_id, user_id);
    const std::int64_t now = clock_.monotonic_ms();
    for (const auto& [name, cached] : state->cache)
      if (cached.expires_ms > now)
        app.cache.push_back(CachedShare{name, std::string(cached.frame.payload()), cached.data, cached.expires_ms - now});
  }
  return share;
}

// ---- Events from other nodes ----

void Hub::deliver_remote_event(const App& app, const PublishRequest& request) {
  AppState& state = state_for(app);
  const Connection* except = nullptr;
  if (!request.except_socket_id.empty()) {
    auto it = by_socket_id_.find(std::string(request.except_socket_id));
    if (it != by_socket_id_.end() && it->second->app == &state) except = it->second;
  }
  // The node that received the request told the observers (dashboard feed).
  deliver_event(state, request, except, false);
}

void Hub::deliver_remote_client_event(const App& app, std::string_view channel, std::string_view event,
                                      std::string_view data, std::string_view user_id) {
  AppState& state = state_for(app);
  auto found = state.channels.find(std::string(channel));
  if (found == state.channels.end()) return;
  Channel& ch = *found->second;
  if (!ch.type.allows_client_events()) return;
  broadcast(ch, protocol::encode_channel_event(event, data, ch.name, user_id), nullptr);
}

}  // namespace pws::channels
