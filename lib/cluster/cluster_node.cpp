#include "cluster/cluster_node.hpp"

#include <unistd.h>

#include <cstdio>

#include "crypto/crypto.hpp"

namespace pws::cluster {

namespace {

constexpr auto kByeFlushDeadline = std::chrono::milliseconds(1000);

std::string random_instance() {
  return std::to_string(crypto::random_between(1, 999'999'999)) + std::to_string(crypto::random_between(1, 999'999'999));
}

}  // namespace

std::string default_node_id(int port) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::snprintf(host, sizeof host, "pws");
  return std::string(host) + ":" + std::to_string(port);
}

ClusterNode::ClusterNode(channels::Hub& hub, const channels::Clock& clock, ClusterSettings settings,
                         std::function<void()> wake)
    : hub_(hub),
      clock_(clock),
      settings_(std::move(settings)),
      instance_(random_instance()),
      bus_(std::make_unique<RedisBus>(settings_.redis, settings_.channel, std::move(wake))) {}

ClusterNode::ClusterNode(channels::Hub& hub, const channels::Clock& clock, ClusterSettings settings,
                         std::unique_ptr<Bus> bus)
    : hub_(hub), clock_(clock), settings_(std::move(settings)), instance_(random_instance()), bus_(std::move(bus)) {}

ClusterNode::~ClusterNode() { bus_->stop(std::chrono::milliseconds(0)); }

void ClusterNode::start() {
  hub_.set_cluster_link(this);
  bus_->start();
}

void ClusterNode::stop() {
  if (stopped_) return;
  stopped_ = true;
  hub_.set_cluster_link(nullptr);
  send(message(MessageType::Bye));
  bus_->stop(kByeFlushDeadline);
}

BusMessage ClusterNode::message(MessageType type) const {
  BusMessage m;
  m.type = type;
  m.node = settings_.node_id;
  m.instance = instance_;
  return m;
}

void ClusterNode::send(const BusMessage& message) { bus_->publish(encode(message)); }

// ---- Local changes out (channels::ClusterLink) ----

void ClusterNode::publish(const channels::App& app, const channels::PublishRequest& request) {
  BusMessage m = message(MessageType::Event);
  m.app_id = app.id;
  m.event = request.name;
  m.data = request.data;
  m.channels = request.channels;
  m.except_socket_id = request.except_socket_id;
  send(m);
}

void ClusterNode::client_event(const channels::App& app, std::string_view channel, std::string_view event,
                               std::string_view data, std::string_view user_id) {
  BusMessage m = message(MessageType::ClientEvent);
  m.app_id = app.id;
  m.channel = channel;
  m.event = event;
  m.data = data;
  m.user_id = user_id;
  send(m);
}

void ClusterNode::member_joined(const channels::App& app, std::string_view channel,
                                const channels::PresenceSession& session) {
  // The count must not arrive after the membership it belongs with.
  flush_subscription_counts();
  BusMessage m = message(MessageType::MemberJoined);
  m.app_id = app.id;
  m.channel = channel;
  m.session = session;
  send(m);
}

void ClusterNode::member_left(const channels::App& app, std::string_view channel, std::string_view socket_id) {
  flush_subscription_counts();
  BusMessage m = message(MessageType::MemberLeft);
  m.app_id = app.id;
  m.channel = channel;
  m.session.socket_id = socket_id;
  send(m);
}

void ClusterNode::subscriptions_changed(const channels::App& app, std::string_view channel,
                                        std::size_t local_subscriptions) {
  pending_counts_[{app.id, std::string(channel)}] = local_subscriptions;
}

void ClusterNode::terminate_user(const channels::App& app, std::string_view user_id) {
  BusMessage m = message(MessageType::TerminateUser);
  m.app_id = app.id;
  m.user_id = user_id;
  send(m);
}

void ClusterNode::user_signed_in(const channels::App& app, std::string_view user_id, std::string_view socket_id) {
  send_user(MessageType::SignedIn, app, user_id, socket_id);
}

void ClusterNode::user_signed_out(const channels::App& app, std::string_view user_id, std::string_view socket_id) {
  send_user(MessageType::SignedOut, app, user_id, socket_id);
}

void ClusterNode::send_user(MessageType type, const channels::App& app, std::string_view user_id,
                            std::string_view socket_id) {
  BusMessage m = message(type);
  m.app_id = app.id;
  m.user_id = user_id;
  m.session.socket_id = socket_id;
  send(m);
}

void ClusterNode::flush_subscription_counts() {
  for (const auto& [key, count] : pending_counts_) {
    BusMessage m = message(MessageType::Subscriptions);
    m.app_id = key.first;
    m.channel = key.second;
    m.count = count;
    send(m);
  }
  pending_counts_.clear();
}

// ---- The loop's side ----

void ClusterNode::say_hello() {
  BusMessage hello = message(MessageType::Hello);
  hello.share = hub_.local_share();
  send(hello);
  last_hello_ms_ = clock_.monotonic_ms();
  ++hellos_unanswered_;
}

void ClusterNode::poll() {
  bus_->take(input_);
  for (BusInput& in : input_) {
    switch (in.kind) {
      case BusInput::Kind::Subscribed: {
        linked_ = true;
        // Everyone gets the time to be heard again before being forgotten,
        // and our state (and theirs, in answer) replaces whatever was missed.
        const std::int64_t now = clock_.monotonic_ms();
        for (auto& [node, peer] : peers_) peer.last_heard_ms = now;
        pending_counts_.clear();  // the hello carries them
        hellos_unanswered_ = 0;
        say_hello();
        break;
      }
      case BusInput::Kind::Lost:
        linked_ = false;
        break;
      case BusInput::Kind::Message:
        receive(in.payload);
        break;
    }
  }
  if (!pending_counts_.empty()) flush_subscription_counts();
}

void ClusterNode::receive(std::string_view payload) {
  if (auto decoded = decode(payload)) apply(*decoded);
}

void ClusterNode::tick() {
  const std::int64_t now = clock_.monotonic_ms();
  if (now >= next_heartbeat_ms_) {
    next_heartbeat_ms_ = now + settings_.heartbeat_interval_ms;
    BusMessage hb = message(MessageType::Heartbeat);
    for (const auto& app : hub_.apps().apps()) {
      const auto connections = hub_.counters(app->id).connections;
      if (connections > 0) hb.connections.emplace(app->id, connections);
    }
    send(hb);
  }
  if (!linked_) return;
  // Nobody answered our hello: it may have gone out on a connection that
  // was already dead. Alone, a few tries cost nothing.
  constexpr int kHelloTries = 3;
  if (hellos_unanswered_ > 0 && hellos_unanswered_ < kHelloTries &&
      now - last_hello_ms_ >= 2 * settings_.heartbeat_interval_ms)
    say_hello();
  std::vector<std::string> silent;
  for (const auto& [node, peer] : peers_)
    if (now - peer.last_heard_ms >= settings_.node_timeout_ms) silent.push_back(node);
  for (const auto& node : silent) forget(node, "silent");
}

void ClusterNode::forget(const std::string& node, const char* why) {
  if (peers_.erase(node) == 0) return;
  if (settings_.log_peers)
    std::fprintf(stderr, "pws: redis: node %s %s; its connections are gone from the cluster\n", node.c_str(),
                 why);
  hub_.replace_node(node, channels::NodeShare{});
}

bool ClusterNode::admit(const BusMessage& m) {
  if (m.node == settings_.node_id) {
    if (m.instance != instance_ && !warned_duplicate_id_) {
      warned_duplicate_id_ = true;
      std::fprintf(stderr,
                   "pws: warning: redis: another process uses this node id (%s); give each node its own "
                   "[redis] node_id\n",
                   m.node.c_str());
    }
    return false;  // our own echo (or the impostor's)
  }
  if (m.version != kBusProtocolVersion) {
    if (!warned_version_) {
      warned_version_ = true;
      std::fprintf(stderr, "pws: warning: redis: node %s speaks cluster protocol %d, this one %d; ignored\n",
                   m.node.c_str(), m.version, kBusProtocolVersion);
    }
    return false;
  }
  const std::int64_t now = clock_.monotonic_ms();
  auto [it, fresh] = peers_.try_emplace(m.node);
  Peer& peer = it->second;
  if (!fresh && peer.instance != m.instance && m.type != MessageType::Hello) {
    // Restarted without a goodbye: what we know of its previous life is void.
    hub_.replace_node(m.node, channels::NodeShare{});
  }
  peer.instance = m.instance;
  peer.last_heard_ms = now;
  if (fresh && settings_.log_peers) std::fprintf(stderr, "pws: redis: node %s joined\n", m.node.c_str());
  // A node we have no state of (we missed its hello): ask everyone again,
  // at most once per heartbeat interval.
  if (fresh && m.type != MessageType::Hello && m.type != MessageType::State && m.type != MessageType::Bye &&
      (last_hello_ms_ < 0 || now - last_hello_ms_ >= settings_.heartbeat_interval_ms))
    say_hello();
  return true;
}

void ClusterNode::apply(const BusMessage& m) {
  if (m.type == MessageType::Bye) {
    if (m.node != settings_.node_id) forget(m.node, "left");
    return;
  }
  if (!admit(m)) return;
  const channels::App* app = m.app_id.empty() ? nullptr : hub_.apps().find_by_id(m.app_id);
  // Apps this node does not know (configs out of step) are ignored, and a
  // disabled app's events reach nobody here.
  auto usable = [&] { return app && app->enabled; };
  switch (m.type) {
    case MessageType::Heartbeat: {
      Peer& peer = peers_[m.node];
      for (const auto& app_id : peer.apps_with_connections)
        if (!m.connections.contains(app_id))
          if (const auto* a = hub_.apps().find_by_id(app_id)) hub_.remote_connections(m.node, *a, 0);
      peer.apps_with_connections.clear();
      for (const auto& [app_id, count] : m.connections) {
        if (const auto* a = hub_.apps().find_by_id(app_id)) {
          hub_.remote_connections(m.node, *a, count);
          peer.apps_with_connections.insert(app_id);
        }
      }
      break;
    }
    case MessageType::Hello: {
      hub_.replace_node(m.node, m.share);
      BusMessage state = message(MessageType::State);
      state.share = hub_.local_share();
      send(state);
      break;
    }
    case MessageType::State:
      hellos_unanswered_ = 0;
      hub_.replace_node(m.node, m.share);
      break;
    case MessageType::Bye:
      break;
    case MessageType::Event:
      if (usable()) {
        channels::PublishRequest request{m.event, m.data, m.channels, m.except_socket_id};
        hub_.deliver_remote_event(*app, request);
      }
      break;
    case MessageType::ClientEvent:
      if (usable()) hub_.deliver_remote_client_event(*app, m.channel, m.event, m.data, m.user_id);
      break;
    case MessageType::MemberJoined:
      if (app) hub_.remote_member_joined(m.node, *app, m.channel, m.session);
      break;
    case MessageType::MemberLeft:
      if (app) hub_.remote_member_left(m.node, *app, m.channel, m.session.socket_id);
      break;
    case MessageType::Subscriptions:
      if (app) hub_.remote_subscriptions(m.node, *app, m.channel, m.count);
      break;
    case MessageType::TerminateUser:
      if (app) hub_.terminate_local_user_connections(*app, m.user_id);
      break;
    case MessageType::SignedIn:
      if (app) hub_.remote_user_signed_in(m.node, *app, m.user_id, m.session.socket_id);
      break;
    case MessageType::SignedOut:
      if (app) hub_.remote_user_signed_out(m.node, *app, m.user_id, m.session.socket_id);
      break;
  }
}

http_api::ClusterFigureValues ClusterNode::cluster_figures() const {
  const BusFigures bus = bus_->figures();
  return http_api::ClusterFigureValues{bus.subscribed, bus.reconnects, bus.published, bus.received, bus.dropped,
                                       1 + peers_.size()};
}

}  // namespace pws::cluster
