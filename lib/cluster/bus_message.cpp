#include "cluster/bus_message.hpp"

#include <algorithm>

#include <boost/json.hpp>

namespace pws::cluster {

namespace json = boost::json;

namespace {

constexpr std::pair<MessageType, std::string_view> kTypeNames[] = {
    {MessageType::Heartbeat, "hb"},    {MessageType::Hello, "hello"},
    {MessageType::State, "state"},     {MessageType::Bye, "bye"},
    {MessageType::Event, "ev"},        {MessageType::ClientEvent, "ce"},
    {MessageType::MemberJoined, "mj"}, {MessageType::MemberLeft, "ml"},
    {MessageType::Subscriptions, "sc"}, {MessageType::TerminateUser, "tu"},
    {MessageType::SignedIn, "ui"},     {MessageType::SignedOut, "uo"},
};

std::string_view type_name(MessageType type) {
  for (const auto& [t, name] : kTypeNames)
    if (t == type) return name;
  return "?";
}

std::optional<MessageType> type_of(std::string_view name) {
  for (const auto& [t, n] : kTypeNames)
    if (n == name) return t;
  return std::nullopt;
}

json::array session_json(const channels::PresenceSession& s) {
  json::array out{s.socket_id, s.user_id, s.user_info_json};
  if (s.joined) out.push_back(s.joined);  // the event loops of one process only
  return out;
}

std::optional<channels::PresenceSession> session_of(const json::value* v) {
  if (!v || !v->is_array() || v->get_array().size() < 3 || v->get_array().size() > 4) return std::nullopt;
  const auto& a = v->get_array();
  if (!a[0].is_string() || !a[1].is_string() || !a[2].is_string()) return std::nullopt;
  std::uint64_t joined = 0;
  if (a.size() == 4) {
    if (!a[3].is_uint64() && !a[3].is_int64()) return std::nullopt;
    joined = a[3].is_uint64() ? a[3].get_uint64() : static_cast<std::uint64_t>(std::max<std::int64_t>(0, a[3].get_int64()));
  }
  return channels::PresenceSession{std::string(a[0].get_string()), std::string(a[1].get_string()),
                                   std::string(a[2].get_string()), joined};
}

json::object share_json(const channels::NodeShare& share) {
  json::object apps;
  for (const auto& [app_id, app] : share.apps) {
    json::object channels;
    for (const auto& [name, channel] : app.channels) {
      json::array members;
      for (const auto& m : channel.members) members.push_back(session_json(m));
      channels[name] = json::object{{"k", channel.subscriptions}, {"m", std::move(members)}};
    }
    json::array cache;
    for (const auto& entry : app.cache)
      cache.push_back(json::array{json::string(entry.channel), json::string(entry.frame_payload),
                                  json::string(entry.data), entry.ttl_ms});
    json::array users;
    for (const auto& [socket_id, user_id] : app.users) users.push_back(json::array{json::string(socket_id), json::string(user_id)});
    apps[app_id] = json::object{
        {"k", app.connections}, {"c", std::move(channels)}, {"h", std::move(cache)}, {"u", std::move(users)}};
  }
  return apps;
}

std::optional<channels::NodeShare> share_of(const json::value* v) {
  if (!v || !v->is_object()) return std::nullopt;
  channels::NodeShare share;
  for (const auto& [app_id, app_value] : v->get_object()) {
    if (!app_value.is_object()) return std::nullopt;
    const auto& app = app_value.get_object();
    channels::AppShare out;
    if (const auto* k = app.if_contains("k"); k && k->is_int64()) out.connections = k->get_int64();
    if (const auto* c = app.if_contains("c"); c && c->is_object()) {
      for (const auto& [name, channel_value] : c->get_object()) {
        if (!channel_value.is_object()) return std::nullopt;
        const auto& channel = channel_value.get_object();
        channels::ChannelShare cs;
        if (const auto* k = channel.if_contains("k"); k && k->is_int64() && k->get_int64() >= 0)
          cs.subscriptions = static_cast<std::size_t>(k->get_int64());
        if (const auto* m = channel.if_contains("m"); m && m->is_array())
          for (const auto& member : m->get_array())
            if (auto s = session_of(&member)) cs.members.push_back(std::move(*s));
        out.channels.emplace(std::string(name), std::move(cs));
      }
    }
    if (const auto* h = app.if_contains("h"); h && h->is_array()) {
      for (const auto& entry : h->get_array()) {
        if (!entry.is_array() || entry.get_array().size() != 4) continue;
        const auto& e = entry.get_array();
        if (!e[0].is_string() || !e[1].is_string() || !e[2].is_string() || !e[3].is_int64()) continue;
        out.cache.push_back(channels::CachedShare{std::string(e[0].get_string()), std::string(e[1].get_string()),
                                                  std::string(e[2].get_string()), e[3].get_int64()});
      }
    }
    if (const auto* u = app.if_contains("u"); u && u->is_array()) {
      for (const auto& entry : u->get_array()) {
        if (!entry.is_array() || entry.get_array().size() != 2) continue;
        const auto& e = entry.get_array();
        if (e[0].is_string() && e[1].is_string())
          out.users.emplace_back(std::string(e[0].get_string()), std::string(e[1].get_string()));
      }
    }
    share.apps.emplace(std::string(app_id), std::move(out));
  }
  return share;
}

std::string string_of(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string encode(const BusMessage& m) {
  json::object o;
  o["v"] = m.version;
  o["t"] = type_name(m.type);
  o["n"] = m.node;
  o["i"] = m.instance;
  switch (m.type) {
    case MessageType::Heartbeat: {
      json::object apps;
      for (const auto& [app_id, count] : m.connections) apps[app_id] = count;
      o["k"] = std::move(apps);
      break;
    }
    case MessageType::Hello:
    case MessageType::State:
      o["s"] = share_json(m.share);
      break;
    case MessageType::Bye:
      break;
    case MessageType::Event: {
      o["a"] = m.app_id;
      o["e"] = m.event;
      o["d"] = m.data;
      json::array list;
      for (const auto& c : m.channels) list.push_back(json::string(c));
      o["c"] = std::move(list);
      if (!m.except_socket_id.empty()) o["x"] = m.except_socket_id;
      break;
    }
    case MessageType::ClientEvent:
      o["a"] = m.app_id;
      o["c"] = m.channel;
      o["e"] = m.event;
      o["d"] = m.data;
      o["u"] = m.user_id;
      break;
    case MessageType::MemberJoined:
    case MessageType::MemberLeft:
      o["a"] = m.app_id;
      o["c"] = m.channel;
      o["m"] = session_json(m.session);
      break;
    case MessageType::Subscriptions:
      o["a"] = m.app_id;
      o["c"] = m.channel;
      o["k"] = m.count;
      break;
    case MessageType::TerminateUser:
      o["a"] = m.app_id;
      o["u"] = m.user_id;
      break;
    case MessageType::SignedIn:
    case MessageType::SignedOut:
      o["a"] = m.app_id;
      o["u"] = m.user_id;
      o["s"] = m.session.socket_id;
      break;
  }
  return json::serialize(o);
}

std::optional<BusMessage> decode(std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  const json::object& o = parsed.get_object();
  BusMessage m;
  const json::value* version = o.if_contains("v");
  const json::value* type = o.if_contains("t");
  if (!version || !version->is_int64() || !type || !type->is_string()) return std::nullopt;
  const auto t = type_of(type->get_string());
  m.version = static_cast<int>(version->get_int64());
  m.node = string_of(o, "n");
  m.instance = string_of(o, "i");
  if (m.node.empty()) return std::nullopt;
  if (m.version != kBusProtocolVersion) return m;
  if (!t) return std::nullopt;
  m.type = *t;
  switch (m.type) {
    case MessageType::Heartbeat:
      if (const auto* k = o.if_contains("k"); k && k->is_object())
        for (const auto& [app_id, count] : k->get_object())
          if (count.is_int64()) m.connections.emplace(std::string(app_id), count.get_int64());
      break;
    case MessageType::Hello:
    case MessageType::State: {
      auto share = share_of(o.if_contains("s"));
      if (!share) return std::nullopt;
      m.share = std::move(*share);
      break;
    }
    case MessageType::Bye:
      break;
    case MessageType::Event: {
      m.app_id = string_of(o, "a");
      m.event = string_of(o, "e");
      m.data = string_of(o, "d");
      m.except_socket_id = string_of(o, "x");
      const auto* c = o.if_contains("c");
      if (!c || !c->is_array()) return std::nullopt;
      for (const auto& name : c->get_array())
        if (name.is_string()) m.channels.emplace_back(name.get_string());
      break;
    }
    case MessageType::ClientEvent:
      m.app_id = string_of(o, "a");
      m.channel = string_of(o, "c");
      m.event = string_of(o, "e");
      m.data = string_of(o, "d");
      m.user_id = string_of(o, "u");
      break;
    case MessageType::MemberJoined:
    case MessageType::MemberLeft: {
      m.app_id = string_of(o, "a");
      m.channel = string_of(o, "c");
      auto session = session_of(o.if_contains("m"));
      if (!session) return std::nullopt;
      m.session = std::move(*session);
      break;
    }
    case MessageType::Subscriptions: {
      m.app_id = string_of(o, "a");
      m.channel = string_of(o, "c");
      const auto* k = o.if_contains("k");
      if (!k || !k->is_number()) return std::nullopt;
      const auto count = k->is_int64() ? k->get_int64() : k->is_uint64() ? static_cast<std::int64_t>(k->get_uint64()) : -1;
      if (count < 0) return std::nullopt;
      m.count = static_cast<std::size_t>(count);
      break;
    }
    case MessageType::TerminateUser:
      m.app_id = string_of(o, "a");
      m.user_id = string_of(o, "u");
      break;
    case MessageType::SignedIn:
    case MessageType::SignedOut:
      m.app_id = string_of(o, "a");
      m.user_id = string_of(o, "u");
      m.session.socket_id = string_of(o, "s");
      if (m.user_id.empty() || m.session.socket_id.empty()) return std::nullopt;
      break;
  }
  if (m.type != MessageType::Heartbeat && m.type != MessageType::Hello && m.type != MessageType::State &&
      m.type != MessageType::Bye && m.app_id.empty())
    return std::nullopt;
  return m;
}

}  // namespace pws::cluster
