// BusMessage: what the nodes of a cluster say to each other over Redis
// pub/sub, and its JSON form. One message type per change a hub reports
// (channels::ClusterLink), plus the node's own life: heartbeat, hello (I am
// new or back: here is my state, send me yours), state (the answer) and bye.
//
// Every message names its node and that node's instance (a random token of
// the process), so a restarted node or two nodes configured with the same
// id are told apart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/cluster_link.hpp"

namespace pws::cluster {

/// Bumped when a change would make older nodes misread messages; a node
/// ignores messages of another version (and says so once).
inline constexpr int kBusProtocolVersion = 1;

enum class MessageType {
  Heartbeat,      ///< connections: app id -> this node's connection count
  Hello,          ///< share: the sender's state; everyone answers with State
  State,          ///< share: the sender's state
  Bye,            ///< the sender stops: forget it now
  Event,          ///< an HTTP API event: app_id, event, data, channels, except_socket_id
  ClientEvent,    ///< app_id, channel, event, data, user_id
  MemberJoined,   ///< app_id, channel, session
  MemberLeft,     ///< app_id, channel, session.socket_id
  Subscriptions,  ///< app_id, channel, count: the sender's subscribers of the channel
  TerminateUser,  ///< app_id, user_id
  SignedIn,       ///< app_id, user_id, session.socket_id
  SignedOut,      ///< app_id, user_id, session.socket_id
};

struct BusMessage {
  MessageType type = MessageType::Heartbeat;
  int version = kBusProtocolVersion;
  std::string node;
  std::string instance;
  std::string app_id;
  std::string channel;
  std::string event;
  std::string data;
  std::string user_id;
  std::string except_socket_id;
  std::vector<std::string> channels;
  channels::PresenceSession session;
  std::size_t count = 0;
  std::map<std::string, std::int64_t> connections;
  channels::NodeShare share;
};

std::string encode(const BusMessage& message);

/// nullopt for anything that is not a well-formed message of a known type;
/// a message of another protocol version decodes with only type, version,
/// node and instance set.
std::optional<BusMessage> decode(std::string_view text);

}  // namespace pws::cluster
