// ClusterNode: this node's member of a cluster joined through Redis (issue
// 7). It is the hub's ClusterLink (local changes go out as BusMessages) and
// applies the other nodes' messages to the hub, on the event loop's thread:
// the RedisBus threads only move bytes.
//
// Liveness: every node sends a heartbeat each interval with its connection
// counts (cluster-wide quotas). A node not heard from for node_timeout is
// forgotten: its connections leave every channel (member_removed once per
// user, from each node to its own subscribers). While this node's own link
// to Redis is down nobody is forgotten, since silence then proves nothing;
// when it comes back the node says hello and everyone re-sends its state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "channels/clock.hpp"
#include "channels/cluster_link.hpp"
#include "channels/hub.hpp"
#include "cluster/bus_message.hpp"
#include "cluster/redis_bus.hpp"
#include "http_api/cluster_figures.hpp"

namespace pws::cluster {

struct ClusterSettings {
  RedisEndpoint redis;
  std::string channel;   ///< the pub/sub channel, "<prefix>:cluster"
  std::string node_id;
  int heartbeat_interval_ms = 1000;
  int node_timeout_ms = 5000;
  /// Nodes joining and leaving are said on stderr (not for the loops of one process).
  bool log_peers = true;
};

class ClusterNode final : public channels::ClusterLink, public http_api::ClusterFigures {
 public:
  /// Over Redis (settings.redis). `wake` must be thread-safe: it makes the
  /// loop call poll() soon.
  ClusterNode(channels::Hub& hub, const channels::Clock& clock, ClusterSettings settings, std::function<void()> wake);
  /// Over another transport (LocalBus: the event loops of one process).
  ClusterNode(channels::Hub& hub, const channels::Clock& clock, ClusterSettings settings, std::unique_ptr<Bus> bus);
  ~ClusterNode() override;

  void start();
  /// On the loop: applies what arrived and sends coalesced changes.
  void poll();
  /// Applies one message of the cluster's channel (poll() calls it for each;
  /// so do the tests and the fuzzer, without Redis). Anything malformed is ignored.
  void receive(std::string_view payload);
  /// On the loop, every few hundred ms: heartbeats and forgetting silent nodes.
  void tick();
  /// Says goodbye (the others forget this node at once) and stops the bus.
  void stop();

  const std::string& node_id() const noexcept { return settings_.node_id; }
  /// True on the one live node (the least id) that sends the webhooks of
  /// cluster-wide transitions (channel_occupied/vacated, member_added/removed),
  /// which every node observes.
  bool announces_transitions() const noexcept { return peers_.empty() || settings_.node_id < peers_.begin()->first; }

  // channels::ClusterLink
  void publish(const channels::App& app, const channels::PublishRequest& request) override;
  void client_event(const channels::App& app, std::string_view channel, std::string_view event,
                    std::string_view data, std::string_view user_id) override;
  void member_joined(const channels::App& app, std::string_view channel,
                     const channels::PresenceSession& session) override;
  void member_left(const channels::App& app, std::string_view channel, std::string_view socket_id) override;
  void subscriptions_changed(const channels::App& app, std::string_view channel,
                             std::size_t local_subscriptions) override;
  void terminate_user(const channels::App& app, std::string_view user_id) override;
  void user_signed_in(const channels::App& app, std::string_view user_id, std::string_view socket_id) override;
  void user_signed_out(const channels::App& app, std::string_view user_id, std::string_view socket_id) override;

  // http_api::ClusterFigures
  http_api::ClusterFigureValues cluster_figures() const override;

 private:
  struct Peer {
    std::string instance;
    std::int64_t last_heard_ms = 0;
    std::set<std::string> apps_with_connections;  // from its last heartbeat
  };

  BusMessage message(MessageType type) const;
  void send(const BusMessage& message);
  void send_user(MessageType type, const channels::App& app, std::string_view user_id, std::string_view socket_id);
  void flush_subscription_counts();
  void apply(const BusMessage& message);
  /// True when `message` comes from a live peer we may act on (registers new peers).
  bool admit(const BusMessage& message);
  void forget(const std::string& node, const char* why);
  void say_hello();

  channels::Hub& hub_;
  const channels::Clock& clock_;
  const ClusterSettings settings_;
  const std::string instance_;
  std::unique_ptr<Bus> bus_;
  std::map<std::string, Peer> peers_;
  // Subscription counts changed since the last poll, by (app id, channel):
  // a channel that 10,000 clients join in one burst costs one message.
  std::map<std::pair<std::string, std::string>, std::size_t> pending_counts_;
  std::vector<BusInput> input_;
  bool linked_ = false;  // subscribed to the channel right now
  bool stopped_ = false;
  std::int64_t next_heartbeat_ms_ = 0;
  std::int64_t last_hello_ms_ = -1;
  int hellos_unanswered_ = 0;  // hellos since the last State: resent a few times, as one may be lost
  bool warned_duplicate_id_ = false;
  bool warned_version_ = false;
};

/// "<host name>:<port>", the default node id.
std::string default_node_id(int port);

}  // namespace pws::cluster
