// ClusterLink: what a hub tells the other hubs of a cluster (issue 7), and
// NodeShare, one node's part of the cluster state. The hub calls the link
// after every local change the others must know; the cluster node (lib/
// cluster) carries it to them and drives their hubs through Hub's remote_*
// methods. With no link set the hub runs alone and pays one null check.
//
// Transport-agnostic on purpose: nodes over Redis today, event loops of one
// process later.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "channels/app.hpp"

namespace pws::channels {

struct PublishRequest;

/// One connection's membership of a presence channel.
struct PresenceSession {
  std::string socket_id;
  std::string user_id;
  std::string user_info_json;  ///< compact JSON, "{}" when none
  /// When the user joined the channel, on the join sequence shared by the
  /// event loops of one process (HubSettings::join_sequence); 0 = not kept.
  std::uint64_t joined = 0;
};

/// One node's view of one of its channels.
struct ChannelShare {
  std::size_t subscriptions = 0;
  std::vector<PresenceSession> members;  ///< presence channels only, in join order
};

/// A cache channel's last event as one node remembers it (2.12).
struct CachedShare {
  std::string channel;
  std::string frame_payload;  ///< the event as delivered (JSON text)
  std::string data;
  std::int64_t ttl_ms = 0;  ///< time left
};

/// One node's connections and channels of one app.
struct AppShare {
  std::int64_t connections = 0;
  std::map<std::string, ChannelShare> channels;  ///< occupied channels by name
  std::vector<CachedShare> cache;                ///< so a node that joins later replays them too
  std::vector<std::pair<std::string, std::string>> users;  ///< signed-in connections: (socket id, user id)
};

/// Everything one node contributes to the cluster's state, by app id.
struct NodeShare {
  std::map<std::string, AppShare> apps;
};

class ClusterLink {
 public:
  virtual ~ClusterLink() = default;
  /// An HTTP API event this node delivered to its own subscribers.
  virtual void publish(const App& app, const PublishRequest& request) = 0;
  /// A client event this node relayed to its own subscribers.
  virtual void client_event(const App& app, std::string_view channel, std::string_view event,
                            std::string_view data, std::string_view user_id) = 0;
  virtual void member_joined(const App& app, std::string_view channel, const PresenceSession& session) = 0;
  virtual void member_left(const App& app, std::string_view channel, std::string_view socket_id) = 0;
  /// The number of this node's subscribers of `channel` changed (0 = none left).
  virtual void subscriptions_changed(const App& app, std::string_view channel, std::size_t local_subscriptions) = 0;
  /// A connection signed in (pusher:signin) or, signed in, closed: watchlists (2.15).
  virtual void user_signed_in(const App& app, std::string_view user_id, std::string_view socket_id) = 0;
  virtual void user_signed_out(const App& app, std::string_view user_id, std::string_view socket_id) = 0;
  /// terminate_connections: the other nodes close the user's connections too.
  virtual void terminate_user(const App& app, std::string_view user_id) = 0;
};

}  // namespace pws::channels
