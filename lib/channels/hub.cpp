#include "channels/hub.hpp"
#include "channels/hub_state.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <type_traits>

#include "crypto/crypto.hpp"
#include "protocol/names.hpp"
#include "protocol/server_message.hpp"

namespace pws::channels {

namespace json = boost::json;
using protocol::ChannelType;
using protocol::Frame;

// ---- Construction ----

Hub::Hub(Outbox& outbox, const Clock& clock, HubSettings settings,
         std::shared_ptr<const AppDirectory> apps)
    : outbox_(outbox),
      clock_(clock),
      settings_(settings),
      apps_(std::move(apps)),
      ping_frame_(protocol::encode_ping()),
      pong_frame_(protocol::encode_pong()) {
  PWS_ASSERT(apps_);
}

Hub::~Hub() = default;

void Hub::add_observer(Observer* observer) { observers_.push_back(observer); }

void Hub::remove_observer(Observer* observer) {
  observers_.erase(std::remove(observers_.begin(), observers_.end(), observer), observers_.end());
}

Hub::Connection* Hub::find(ConnectionId id) const {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : it->second.get();
}

Hub::AppState& Hub::state_for(const App& app) {
  auto& slot = app_states_[app.id];
  if (!slot) {
    slot = std::make_unique<AppState>();
    slot->app = apps_->shared_by_id(app.id);
    if (!slot->app) slot->app = std::make_shared<const App>(app);
    if (settings_.shared_counters) slot->shared_counters = &settings_.shared_counters->of(app.id);
  }
  return *slot;
}

const Hub::AppState* Hub::state_for(const App& app) const {
  auto it = app_states_.find(app.id);
  return it == app_states_.end() ? nullptr : it->second.get();
}

std::string Hub::new_socket_id() {
  // Section 1.6: two random integers in 1..999999999, unique among live
  // connections; re-draw on the (rare) collision.
  for (;;) {
    std::string id = std::to_string(crypto::random_between(1, 999'999'999)) + "." +
                     std::to_string(crypto::random_between(1, 999'999'999));
    if (!by_socket_id_.contains(id)) return id;
  }
}

void Hub::set_apps(std::shared_ptr<const AppDirectory> apps) {
  PWS_ASSERT(apps);
  apps_ = std::move(apps);
  std::vector<std::pair<ConnectionId, Errc>> to_close;
  std::vector<std::string> removed;
  for (auto& [app_id, state] : app_states_) {
    auto fresh = apps_->shared_by_id(app_id);
    // Clients authenticated against the old key or secret cannot stay; a
    // disabled app's clients go too (4003). Everyone else keeps running.
    Errc reason = Errc::AppNotFound;
    bool keep = false;
    if (fresh && fresh->key == state->app->key && fresh->secret == state->app->secret) {
      if (fresh->enabled) keep = true;
      else reason = Errc::AppDisabled;
    }
    if (!keep) {
      for (auto& [id, c] : connections_)
        if (c->app == state.get()) to_close.emplace_back(id, reason);
    }
    if (fresh) state->app = std::move(fresh);
    else removed.push_back(app_id);
  }
  for (auto [id, reason] : to_close)
    if (Connection* c = find(id)) close_with(*c, reason, info(reason).message);
  // A removed app's state is empty once its connections are gone.
  for (const auto& app_id : removed) app_states_.erase(app_id);
}

// ---- Connections ----

bool Hub::open(ConnectionId id, const OpenRequest& request) {
  auto reject = [&](const App* app, Errc e) {
    const ErrcInfo& row = info(e);
    outbox_.send(id, protocol::encode_error(e, row.message));
    outbox_.close(id, row.code, row.message);
    notify(observers_, [&](Observer& o) { o.on_client_error(app, {}, row.code, row.message); });
    return false;
  };

  // Section 1.3: absent -> accepted as 7 unless required; otherwise 4..7.
  if (!request.protocol) {
    if (settings_.require_protocol) return reject(nullptr, Errc::NoProtocol);
  } else {
    std::string_view p = *request.protocol;
    const bool digits = !p.empty() && p.size() <= 3 &&
                        std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    const int version = digits ? std::stoi(std::string(p)) : -1;
    if (version < 4 || version > 7) return reject(nullptr, Errc::UnsupportedProtocol);
  }

  const App* app = apps_->find_by_key(request.app_key);
  if (!app) return reject(nullptr, Errc::AppNotFound);
  if (!app->enabled) return reject(app, Errc::AppDisabled);
  if (app->require_tls && !request.tls) return reject(app, Errc::TlsRequired);
  if (!origin_allowed(*app, request.origin)) return reject(app, Errc::Unauthorized);
  AppState& state = state_for(*app);
  if (ConnectionLedger* ledger = settings_.ledger) {
    // The last check: a place taken here is the connection's until close().
    switch (ledger->admit(app->id, app->limits.max_connections, settings_.max_connections)) {
      case ConnectionLedger::Admission::AppFull: return reject(app, Errc::OverQuota);
      case ConnectionLedger::Admission::ServerFull: return reject(app, Errc::OverCapacity);
      case ConnectionLedger::Admission::Admitted: break;
    }
  } else {
    // Counted over the cluster: the other nodes' figures arrive with their heartbeats.
    if (app->limits.max_connections >= 0 &&
        state.counters.connections + remote_connections(state) >= app->limits.max_connections)
      return reject(app, Errc::OverQuota);
    if (settings_.max_connections >= 0 &&
        static_cast<std::int64_t>(connections_.size()) >= settings_.max_connections)
      return reject(app, Errc::OverCapacity);
  }

  auto conn = std::make_unique<Connection>();
  Connection& c = *conn;
  c.id = id;
  c.socket_id = new_socket_id();
  c.app = &state;
  c.last_seen_ms = clock_.monotonic_ms();
  // Only connections opened while the mode is on get a deadline (8.4).
  if (app->enable_user_authentication)
    c.auth_deadline_ms = c.last_seen_ms + std::max(0, app->user_authentication_timeout_ms);
  by_socket_id_.emplace(c.socket_id, &c);
  connections_.emplace(id, std::move(conn));

  state.counters.connections++;
  state.counters.connections_opened++;
  if (state.shared_counters) state.shared_counters->connections_opened.fetch_add(1, std::memory_order_relaxed);
  state.counters.peak_connections = std::max(state.counters.peak_connections, state.counters.connections);
  send(c, protocol::encode_connection_established(c.socket_id, settings_.activity_timeout_s));
  notify(observers_, [&](Observer& o) { o.on_connected(*state.app, c.socket_id, request.origin); });
  return true;
}

void Hub::note_activity(ConnectionId id) {
  if (Connection* c = find(id)) {
    c->last_seen_ms = clock_.monotonic_ms();
    c->ping_sent_ms = 0;
  }
}

void Hub::receive(ConnectionId id, std::string_view text) {
  Connection* c = find(id);
  if (!c) return;
  c->last_seen_ms = clock_.monotonic_ms();
  c->ping_sent_ms = 0;
  c->app->counters.websocket_messages_in++;
  c->app->counters.bytes_in += text.size();
  if (AtomicAppCounters* shared = c->app->shared_counters) {
    shared->websocket_messages_in.fetch_add(1, std::memory_order_relaxed);
    shared->bytes_in.fetch_add(text.size(), std::memory_order_relaxed);
  }

  auto parsed = protocol::parse_client_frame(text);
  if (!parsed) {
    send_error(*c, Errc::InvalidMessage, parsed.error().message);
    return;
  }
  std::visit(
      [&](auto& event) {
        using T = std::decay_t<decltype(event)>;
        if constexpr (std::is_same_v<T, protocol::Ping>) {
          send(*c, pong_frame_);
        } else if constexpr (std::is_same_v<T, protocol::Pong> || std::is_same_v<T, protocol::Ignored>) {
          // A pong only proves liveness (done above); unknown events are ignored (1.9).
        } else {
          handle(*c, event);
        }
      },
      parsed.value());
}

void Hub::close(ConnectionId id) {
  if (Connection* c = find(id)) remove_connection(*c);
}

void Hub::sweep() {
  const std::int64_t now = clock_.monotonic_ms();
  std::vector<std::pair<ConnectionId, Errc>> to_close;
  for (auto& [id, c] : connections_) {
    if (c->auth_deadline_ms && !c->authorized && now >= c->auth_deadline_ms) {
      to_close.emplace_back(id, Errc::Unauthorized);
      continue;
    }
    if (c->ping_sent_ms) {
      if (now - c->ping_sent_ms >= settings_.pong_timeout_ms) to_close.emplace_back(id, Errc::PongTimeout);
    } else if (now - c->last_seen_ms >= settings_.ping_interval_ms) {
      // Section 8.3: both kinds of ping, since browsers cannot answer the
      // event but always answer the frame, and the Java client the reverse.
      outbox_.send(id, ping_frame_);
      outbox_.ping(id);
      c->ping_sent_ms = now;
    }
  }
  for (auto [id, reason] : to_close) {
    if (Connection* c = find(id)) {
      close_with(*c, reason,
                 reason == Errc::Unauthorized ? "Connection not authorized within timeout"
                                              : info(reason).message);
    }
  }
  if (!pending_counts_.empty()) flush_subscription_counts(now);
  for (auto& [app_id, state] : app_states_)
    std::erase_if(state->cache, [&](const auto& entry) { return entry.second.expires_ms <= now; });
}

void Hub::close_all(Errc reason) {
  std::vector<ConnectionId> ids;
  ids.reserve(connections_.size());
  for (auto& [id, c] : connections_) ids.push_back(id);
  for (ConnectionId id : ids)
    if (Connection* c = find(id)) close_with(*c, reason, info(reason).message);
}

void Hub::send_error(Connection& c, Errc e, std::string_view message) {
  const ErrcInfo& row = info(e);
  send(c, protocol::encode_error(e, message));
  notify(observers_, [&](Observer& o) { o.on_client_error(c.app->app.get(), c.socket_id, row.code, message); });
}

void Hub::close_with(Connection& c, Errc e, std::string_view message) {
  const ErrcInfo& row = info(e);
  send_error(c, e, message);
  outbox_.close(c.id, row.code, message);
  // Leave the channels now so member_removed and counts are immediate; the
  // transport's later close callback finds nothing to do.
  remove_connection(c);
}

void Hub::remove_connection(Connection& c) {
  while (!c.subscriptions.empty()) unsubscribe(c, c.subscriptions.size() - 1);
  AppState& state = *c.app;
  for (const std::string& watched : c.watchlist) {
    auto it = state.watchers.find(watched);
    if (it == state.watchers.end()) continue;
    std::erase(it->second, &c);
    if (it->second.empty()) state.watchers.erase(it);
  }
  if (!c.user_id.empty()) {
    auto it = state.users.find(c.user_id);
    if (it != state.users.end()) {
      std::erase(it->second, &c);
      if (it->second.empty()) {
        state.users.erase(it);
        if (!state.remote_users.contains(c.user_id)) notify_watchers(state, c.user_id, false);
      }
    }
    if (link_) link_->user_signed_out(*state.app, c.user_id, c.socket_id);
  }
  state.counters.connections--;
  notify(observers_, [&](Observer& o) { o.on_disconnected(*state.app, c.socket_id); });
  by_socket_id_.erase(c.socket_id);
  if (settings_.ledger) settings_.ledger->release(state.app->id);
  connections_.erase(c.id);  // destroys c
}

// ---- Subscriptions ----

namespace {

/// Checks "<key>:<hex>" against HMAC(secret, string_to_sign) (section 4.4).
bool auth_matches(const App& app, std::string_view auth, std::string_view string_to_sign) {
  const auto colon = auth.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == auth.size()) return false;
  const bool key_ok = crypto::constant_time_equal(auth.substr(0, colon), app.key);
  const bool sig_ok = crypto::constant_time_equal(auth.substr(colon + 1),
                                                  crypto::hmac_sha256_hex(app.secret, string_to_sign));
  return key_ok && sig_ok;
}

/// A presence user_id as a string: strings as they are, integers in decimal.
std::optional<std::string> user_id_string(const json::value& v) {
  if (v.is_string()) {
    if (v.get_string().empty()) return std::nullopt;
    return std::string(v.get_string());
  }
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.007199254740992e15)
      return std::to_string(static_cast<long long>(d));
  }
  return std::nullopt;
}

std::string info_json(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return "{}";
  return json::serialize(*v);
}

}  // namespace

void Hub::fail_subscription(Connection& c, std::string_view channel, Errc e, std::string_view message) {
  send(c, protocol::encode_subscription_error(channel, e, message));
  notify(observers_, [&](Observer& o) {
    o.on_client_error(c.app->app.get(), c.socket_id, info(e).subscription_status, message);
  });
}

void Hub::handle(Connection& c, protocol::Subscribe& sub) {
  const App& app = *c.app->app;
  const auto& limits = app.limits;
  const auto check = protocol::check_channel_name(sub.channel, static_cast<std::size_t>(limits.max_channel_name_length));
  if (!check.valid) {
    fail_subscription(c, sub.channel, check.error,
                      check.error == Errc::ChannelNameTooLong
                          ? "Channel name longer than " + std::to_string(limits.max_channel_name_length) + " characters"
                          : std::string("Invalid channel name"));
    return;
  }
  const ChannelType type = protocol::classify_channel(sub.channel);

  if (type.is_user_channel()) {
    // Section 2.14: only the user's own channel, and only after signin. The
    // subscription is acknowledged but not stored: delivery goes to every
    // connection signed in as the user.
    if (c.user_id.empty() || protocol::server_to_user_id(sub.channel) != c.user_id) {
      fail_subscription(c, sub.channel, Errc::AuthError, "Not signed in as the user of this channel");
      return;
    }
    send(c, protocol::encode_subscription_succeeded(sub.channel));
    return;
  }

  std::string user_id;
  std::string user_info;
  if (type.needs_auth()) {
    std::string to_sign = c.socket_id + ":" + sub.channel;
    if (type.is_presence()) {
      if (sub.channel_data) {
        to_sign += ":";
        to_sign += *sub.channel_data;
      } else if (c.user_id.empty()) {
        fail_subscription(c, sub.channel, Errc::AuthError,
                          "Presence channels need channel_data unless the connection is signed in");
        return;
      }
    }
    if (!auth_matches(app, sub.auth, to_sign)) {
      fail_subscription(c, sub.channel, Errc::AuthError,
                        "Invalid signature: expected HMAC SHA256 hex digest of " + to_sign);
      return;
    }
  }

  if (Subscription* existing = c.find_subscription(sub.channel)) {
    // Idempotent: acknowledge again, change nothing (2.3 step 5).
    send(c, subscription_ack(*c.app, *existing->channel));
    return;
  }

  if (limits.max_subscriptions_per_connection >= 0 &&
      c.subscriptions.size() >= static_cast<std::size_t>(limits.max_subscriptions_per_connection)) {
    fail_subscription(c, sub.channel, Errc::TooManySubscriptions,
                      "Too many subscriptions on this connection (limit " +
                          std::to_string(limits.max_subscriptions_per_connection) + ")");
    return;
  }

  if (type.is_presence()) {
    if (sub.channel_data) {
      boost::system::error_code ec;
      json::value data = json::parse(*sub.channel_data, ec);
      std::optional<std::string> id;
      if (!ec && data.is_object()) {
        if (const json::value* v = data.get_object().if_contains("user_id")) id = user_id_string(*v);
      }
      if (!id) {
        fail_subscription(c, sub.channel, Errc::AuthError,
                          "channel_data must be a JSON object with a string or number user_id");
        return;
      }
      user_id = std::move(*id);
      user_info = info_json(data.get_object(), "user_info");
    } else {
      user_id = c.user_id;
      user_info = c.user_info_json;
    }
    if (user_id.size() > static_cast<std::size_t>(limits.max_user_id_length)) {
      fail_subscription(c, sub.channel, Errc::MemberTooLarge,
                        "user_id longer than " + std::to_string(limits.max_user_id_length) + " characters");
      return;
    }
    if (user_info.size() > limits.max_presence_member_bytes()) {
      fail_subscription(c, sub.channel, Errc::MemberTooLarge,
                        "user_info larger than " + std::to_string(limits.max_presence_member_size_in_kb) + " KB");
      return;
    }
  }

  AppState& state = *c.app;
  auto& slot = state.channels[sub.channel];
  const bool occupied_now = !slot;
  if (!slot) {
    slot = std::make_unique<Channel>();
    slot->name = sub.channel;
    slot->type = type;
  }
  Channel& ch = *slot;

  Member* member = nullptr;
  if (type.is_presence()) {
    member = ch.find_member(user_id);
    if (!member && !remote_has_member(state, ch.name, user_id) && limits.max_presence_members_per_channel >= 0 &&
        cluster_member_count(state, &ch, ch.name) >= static_cast<std::size_t>(limits.max_presence_members_per_channel)) {
      if (occupied_now) state.channels.erase(sub.channel);
      fail_subscription(c, sub.channel, Errc::PresenceFull,
                        "Presence channel has reached its limit of " +
                            std::to_string(limits.max_presence_members_per_channel) + " members");
      return;
    }
  }

  c.subscriptions.push_back(Subscription{&ch, ch.subscribers.size(), user_id});
  ch.subscribers.push_back(&c);
  if (type.needs_auth()) c.authorized = true;

  bool member_joined = false;
  if (type.is_presence()) {
    if (member) {
      member->sessions.push_back({&c, user_info});
    } else {
      const std::uint64_t joined =
          settings_.join_sequence ? settings_.join_sequence->fetch_add(1, std::memory_order_relaxed) + 1 : 0;
      ch.members.push_back(Member{user_id, {{&c, user_info}}, joined});
      member_joined = true;
    }
  }
  send(c, subscription_ack(state, ch));
  if (type.cache) replay_cache(state, ch, c);

  // In a cluster, only transitions of the whole cluster are events: a user
  // already present on another node was announced there.
  if (occupied_now && remote_subscriptions(state, ch.name) == 0)
    notify(observers_, [&](Observer& o) { o.on_channel_occupied(app, ch.name); });
  if (member_joined && !remote_has_member(state, ch.name, user_id)) {
    broadcast(ch, protocol::encode_member_added(ch.name, user_id, user_info), &c);
    notify(observers_, [&](Observer& o) { o.on_member_added(app, ch.name, user_id); });
  }
  if (link_) {
    link_->subscriptions_changed(app, ch.name, ch.subscribers.size());
    if (type.is_presence())
      link_->member_joined(app, ch.name, PresenceSession{c.socket_id, user_id, user_info, ch.find_member(user_id)->joined});
  }
  if (app.enable_subscription_count && !type.is_presence()) send_subscription_count(state, ch);
  notify(observers_, [&](Observer& o) { o.on_subscribed(app, c.socket_id, ch.name); });
}

Frame Hub::subscription_ack(const AppState& state, const Channel& ch) const {
  if (!ch.type.is_presence()) return protocol::encode_subscription_succeeded(ch.name);
  return protocol::encode_subscription_succeeded(ch.name,
                                                 protocol::presence_data_json(cluster_members(state, &ch, ch.name)));
}

void Hub::handle(Connection& c, const protocol::Unsubscribe& unsub) {
  for (std::size_t i = 0; i < c.subscriptions.size(); ++i) {
    if (c.subscriptions[i].channel->name == unsub.channel) {
      unsubscribe(c, i);
      return;
    }
  }
  // Not subscribed: silently ignored (2.6).
}

void Hub::unsubscribe(Connection& c, std::size_t subscription_index) {
  Subscription sub = std::move(c.subscriptions[subscription_index]);
  if (subscription_index + 1 != c.subscriptions.size())
    c.subscriptions[subscription_index] = std::move(c.subscriptions.back());
  c.subscriptions.pop_back();

  Channel& ch = *sub.channel;
  AppState& state = *c.app;
  const App& app = *state.app;

  // Swap-and-pop keeps removal O(1) for channels with many subscribers; the
  // connection moved into the hole gets its stored index updated.
  Connection* moved = ch.subscribers.back();
  ch.subscribers[sub.index] = moved;
  ch.subscribers.pop_back();
  if (moved != &c) {
    for (auto& s : moved->subscriptions)
      if (s.channel == &ch) s.index = sub.index;
  }

  if (ch.type.is_presence()) {
    Member* m = ch.find_member(sub.user_id);
    if (m) std::erase_if(m->sessions, [&](const Member::Session& x) { return x.connection == &c; });
    if (m && m->sessions.empty()) {
      std::erase_if(ch.members, [&](const Member& x) { return x.user_id == sub.user_id; });
      if (!remote_has_member(state, ch.name, sub.user_id)) {
        if (!ch.subscribers.empty()) broadcast(ch, protocol::encode_member_removed(ch.name, sub.user_id), nullptr);
        notify(observers_, [&](Observer& o) { o.on_member_removed(app, ch.name, sub.user_id); });
      }
    }
    if (link_) link_->member_left(app, ch.name, c.socket_id);
  }
  notify(observers_, [&](Observer& o) { o.on_unsubscribed(app, c.socket_id, ch.name); });
  if (link_) link_->subscriptions_changed(app, ch.name, ch.subscribers.size());

  if (ch.subscribers.empty()) {
    const std::string name = ch.name;
    if (remote_subscriptions(state, name) == 0)
      notify(observers_, [&](Observer& o) { o.on_channel_vacated(app, name); });
    state.channels.erase(name);  // destroys ch
  } else if (app.enable_subscription_count && !ch.type.is_presence()) {
    send_subscription_count(state, ch);
  }
}

namespace {
// Section 2.11: counts of channels above this many subscribers are sent at
// most once per window, or N joins would cost N^2/2 frames and overflow every
// subscriber's queue; the sweep sends the final count when the window ends.
constexpr std::size_t kCountThrottleAbove = 100;
constexpr std::int64_t kCountThrottleMs = 5000;
}  // namespace

void Hub::send_subscription_count(AppState& state, Channel& ch) {
  const std::int64_t now = clock_.monotonic_ms();
  if (ch.count_pending) return;  // the sweep will send the latest count
  if (ch.subscribers.size() + remote_subscriptions(state, ch.name) > kCountThrottleAbove &&
      now - ch.count_sent_ms < kCountThrottleMs) {
    ch.count_pending = true;
    pending_counts_.emplace_back(state.app->id, ch.name);
    return;
  }
  broadcast_subscription_count(state, ch, now);
}

void Hub::broadcast_subscription_count(AppState& state, Channel& ch, std::int64_t now) {
  const std::size_t count = ch.subscribers.size() + remote_subscriptions(state, ch.name);
  const std::string data = "{\"subscription_count\":" + std::to_string(count) + "}";
  broadcast(ch, protocol::encode_channel_event(protocol::names::kSubscriptionCount, data, ch.name), nullptr);
  ch.count_sent_ms = now;
  ch.count_pending = false;
  notify(observers_, [&](Observer& o) { o.on_subscription_count(*state.app, ch.name, count); });
}

void Hub::flush_subscription_counts(std::int64_t now) {
  std::erase_if(pending_counts_, [&](const std::pair<std::string, std::string>& entry) {
    auto state = app_states_.find(entry.first);
    if (state == app_states_.end()) return true;
    auto channel = state->second->channels.find(entry.second);
    if (channel == state->second->channels.end()) return true;  // vacated meanwhile
    Channel& ch = *channel->second;
    if (now - ch.count_sent_ms < kCountThrottleMs) return false;
    broadcast_subscription_count(*state->second, ch, now);
    return true;
  });
}

// ---- Signin and client events ----

void Hub::handle(Connection& c, const protocol::Signin& signin) {
  const App& app = *c.app->app;
  auto fail = [&](std::string_view why) { send_error(c, Errc::ClientEventForbidden, why); };

  if (!auth_matches(app, signin.auth, c.socket_id + "::user::" + signin.user_data))
    return fail("Invalid signin signature");
  boost::system::error_code ec;
  json::value data = json::parse(signin.user_data, ec);
  if (ec || !data.is_object()) return fail("user_data must be a JSON object");
  const json::value* id = data.get_object().if_contains("id");
  if (!id || !id->is_string() || id->get_string().empty())
    return fail("user_data.id must be a non-empty string");
  const std::string user_id(id->get_string());
  if (user_id.size() > static_cast<std::size_t>(app.limits.max_user_id_length))
    return fail("user_data.id is too long");
  if (!c.user_id.empty() && c.user_id != user_id)
    return fail("The connection is already signed in as another user");

  const bool first_signin = c.user_id.empty();
  c.user_info_json = info_json(data.get_object(), "user_info");
  c.authorized = true;
  send(c, protocol::encode_signin_success(signin.user_data));
  if (!first_signin) return;  // same user again: nothing else changes

  c.user_id = user_id;
  auto& sessions = c.app->users[user_id];
  sessions.push_back(&c);
  if (app.enable_watchlist_events) start_watchlist(c, data.get_object());
  // Online when the first connection signs in (2.15); the watchers hear it
  // after this connection got its own initial list.
  if (sessions.size() == 1 && !c.app->remote_users.contains(user_id)) notify_watchers(*c.app, user_id, true);
  if (link_) link_->user_signed_in(app, user_id, c.socket_id);
}

void Hub::start_watchlist(Connection& c, const boost::json::object& user_data) {
  const json::value* list = user_data.if_contains("watchlist");
  if (list == nullptr || !list->is_array()) return;
  const auto max = static_cast<std::size_t>(c.app->app->limits.max_watchlist_size);
  bool cut = false;
  for (const json::value& entry : list->get_array()) {
    if (!entry.is_string() || entry.get_string().empty()) continue;
    std::string id(entry.get_string());
    if (std::find(c.watchlist.begin(), c.watchlist.end(), id) != c.watchlist.end()) continue;
    if (c.watchlist.size() == max) {
      cut = true;
      break;
    }
    c.watchlist.push_back(std::move(id));
  }
  if (cut)
    send_error(c, Errc::WatchlistTooLarge,
               "Watchlist limit exceeded; only the first " + std::to_string(max) + " user ids were accepted");
  std::vector<std::string_view> online, offline;
  AppState& state = *c.app;
  for (const std::string& id : c.watchlist) {
    state.watchers[id].push_back(&c);
    (state.users.contains(id) || state.remote_users.contains(id) ? online : offline).push_back(id);
  }
  if (!online.empty() || !offline.empty()) send(c, protocol::encode_watchlist_events(online, offline));
}

void Hub::notify_watchers(AppState& state, const std::string& user_id, bool online) {
  auto it = state.watchers.find(user_id);
  if (it == state.watchers.end()) return;
  const std::vector<std::string_view> ids{user_id};
  const Frame frame = online ? protocol::encode_watchlist_events(ids, {}) : protocol::encode_watchlist_events({}, ids);
  for (Connection* watcher : it->second) send(*watcher, frame);
}

// ---- Cache channels ----

void Hub::replay_cache(AppState& state, Channel& ch, Connection& c) {
  const std::int64_t now = clock_.monotonic_ms();
  if (auto it = state.cache.find(ch.name); it != state.cache.end() && it->second.expires_ms > now) {
    send(c, it->second.frame);
    return;
  }
  send(c, protocol::encode_cache_miss(ch.name));
  // Many subscribers arriving at an empty channel make one webhook a second (2.12).
  if (ch.cache_miss_notified_ms >= 0 && now - ch.cache_miss_notified_ms < 1000) return;
  ch.cache_miss_notified_ms = now;
  if (settings_.cache_miss_throttle && !settings_.cache_miss_throttle->allow(state.app->id + '\n' + ch.name, now))
    return;
  notify(observers_, [&](Observer& o) { o.on_cache_miss(*state.app, ch.name); });
}

void Hub::remember(AppState& state, const std::string& channel, const Frame& frame, std::string_view data) {
  const std::int64_t now = clock_.monotonic_ms();
  // Bounded: a flood of publishes to fresh cache channels cannot grow the
  // map past this; the entry closest to expiry goes first.
  if (state.cache.size() >= kMaxCachedChannelsPerApp && !state.cache.contains(channel)) {
    auto oldest = std::min_element(state.cache.begin(), state.cache.end(), [](const auto& a, const auto& b) {
      return a.second.expires_ms < b.second.expires_ms;
    });
    state.cache.erase(oldest);
  }
  state.cache.insert_or_assign(
      channel, CachedEvent{frame, std::string(data), now + std::int64_t{state.app->limits.cache_ttl} * 1000});
}

std::optional<CachedEventInfo> Hub::cached_event(const App& app, std::string_view channel) const {
  const AppState* state = state_for(app);
  if (!state) return std::nullopt;
  auto it = state->cache.find(std::string(channel));
  const std::int64_t now = clock_.monotonic_ms();
  if (it == state->cache.end() || it->second.expires_ms <= now) return std::nullopt;
  // Rounded up so a live entry never reports 0 seconds left (5.8: 0 < ttl).
  return CachedEventInfo{it->second.data, (it->second.expires_ms - now + 999) / 1000};
}

void Hub::handle(Connection& c, const protocol::ClientTrigger& trigger) {
  const App& app = *c.app->app;
  const auto& limits = app.limits;
  if (!app.enable_client_messages)
    return send_error(c, Errc::ClientEventRejected, "Client events are not enabled for this app");

  Subscription* sub = c.find_subscription(trigger.channel);
  if (sub && sub->channel->type.kind == protocol::ChannelKind::PrivateEncrypted)
    return send_error(c, Errc::ClientEventForbidden,
                      "Client event rejected: client events are not supported on encrypted channels");
  if (!sub || !sub->channel->type.allows_client_events())
    return send_error(c, Errc::ClientEventForbidden,
                      "Client event rejected: not subscribed to a private or presence channel");
  if (trigger.event.size() > static_cast<std::size_t>(limits.max_event_name_length))
    return send_error(c, Errc::ClientEventRejected, "Client event rejected: event name too long");
  if (trigger.data.size() > limits.max_event_payload_bytes())
    return send_error(c, Errc::ClientEventRejected, "Client event rejected: data too large");

  if (limits.max_client_events_per_sec >= 0) {
    const std::int64_t now = clock_.monotonic_ms();
    if (now - c.rate_window_ms >= 1000) {
      c.rate_window_ms = now;
      c.rate_count = 0;
    }
    if (c.rate_count >= limits.max_client_events_per_sec)
      return send_error(c, Errc::ClientEventRejected, "Client event rejected due to rate limit");
    c.rate_count++;
  }

  Channel& ch = *sub->channel;
  // Presence relays carry the sender's member id, never a client-supplied one (2.9).
  const std::string_view user_id = ch.type.is_presence() ? std::string_view(sub->user_id) : std::string_view();
  broadcast(ch, protocol::encode_channel_event(trigger.event, trigger.data, ch.name, user_id), &c);
  if (link_) link_->client_event(app, ch.name, trigger.event, trigger.data, user_id);
  notify(observers_, [&](Observer& o) {
    o.on_client_event(app, c.socket_id, ch.name, trigger.event, trigger.data, user_id);
  });
}

void Hub::count_sent(AppState& state, const Frame& frame, std::uint64_t recipients) {
  state.counters.messages_out += recipients;
  state.counters.bytes_out += recipients * frame.size();
  if (AtomicAppCounters* shared = state.shared_counters) {
    shared->messages_out.fetch_add(recipients, std::memory_order_relaxed);
    shared->bytes_out.fetch_add(recipients * frame.size(), std::memory_order_relaxed);
  }
}

void Hub::send(Connection& c, const Frame& frame) {
  outbox_.send(c.id, frame);
  count_sent(*c.app, frame, 1);
}

void Hub::broadcast(Channel& channel, const Frame& frame, const Connection* except) {
  // Counted once per event, not per recipient: every subscriber shares the
  // channel's app.
  std::uint64_t sent = 0;
  for (Connection* s : channel.subscribers) {
    if (s == except) continue;
    outbox_.send(s->id, frame);
    ++sent;
  }
  if (sent) count_sent(*channel.subscribers.front()->app, frame, sent);
}

// ---- HTTP API side ----

void Hub::publish(const App& app, const PublishRequest& request) {
  AppState& state = state_for(app);
  const Connection* except = nullptr;
  if (!request.except_socket_id.empty()) {
    auto it = by_socket_id_.find(std::string(request.except_socket_id));
    if (it != by_socket_id_.end() && it->second->app == &state) except = it->second;
  }
  deliver_event(state, request, except, true);
  if (link_) link_->publish(app, request);
}

void Hub::deliver_event(AppState& state, const PublishRequest& request, const Connection* except, bool notify_api) {
  const App& app = *state.app;
  for (const std::string& name : request.channels) {
    if (protocol::classify_channel(name).is_user_channel()) {
      auto it = state.users.find(std::string(protocol::server_to_user_id(name)));
      if (it != state.users.end()) {
        const Frame frame = protocol::encode_channel_event(request.name, request.data, name);
        std::uint64_t sent = 0;
        for (Connection* c : it->second) {
          if (c == except) continue;
          outbox_.send(c->id, frame);
          ++sent;
        }
        count_sent(state, frame, sent);
      }
    } else {
      const bool cache = protocol::classify_channel(name).cache;
      auto it = state.channels.find(name);
      if (it == state.channels.end() && !cache) {
        // Nobody to deliver to and nothing to remember.
      } else {
        // One encoding per channel, shared by every subscriber's queue (and the cache).
        const Frame frame = protocol::encode_channel_event(request.name, request.data, name);
        if (it != state.channels.end()) broadcast(*it->second, frame, except);
        if (cache) remember(state, name, frame, request.data);
      }
    }
    if (notify_api)
      notify(observers_, [&](Observer& o) { o.on_api_message(app, name, request.name, request.data); });
  }
}

ChannelInfo Hub::channel_info(const App& app, std::string_view channel) const {
  ChannelInfo out;
  const AppState* state = state_for(app);
  if (!state) return out;
  auto it = state->channels.find(std::string(channel));
  const Channel* local = it == state->channels.end() ? nullptr : it->second.get();
  out.subscription_count = (local ? local->subscribers.size() : 0) + remote_subscriptions(*state, channel);
  out.occupied = out.subscription_count > 0;
  out.user_count = cluster_member_count(*state, local, channel);
  return out;
}

std::vector<std::string> Hub::occupied_channels(const App& app, std::string_view prefix) const {
  std::vector<std::string> out;
  const AppState* state = state_for(app);
  if (!state) return out;
  for (const auto& [name, ch] : state->channels)
    if (name.starts_with(prefix) && !ch->subscribers.empty()) out.push_back(name);
  for (const auto& [name, remote] : state->remote_channels)
    if (name.starts_with(prefix) && remote.total_subscriptions() > 0 && !state->channels.contains(name))
      out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Hub::presence_user_ids(const App& app, std::string_view channel) const {
  std::vector<std::string> out;
  const AppState* state = state_for(app);
  if (!state) return out;
  auto it = state->channels.find(std::string(channel));
  const Channel* local = it == state->channels.end() ? nullptr : it->second.get();
  for (const auto& m : cluster_members(*state, local, channel)) out.emplace_back(m.user_id);
  return out;
}

void Hub::terminate_user_connections(const App& app, std::string_view user_id) {
  if (link_) link_->terminate_user(app, user_id);
  terminate_local_user_connections(app, user_id);
}

void Hub::terminate_local_user_connections(const App& app, std::string_view user_id) {
  AppState* state = app_states_.contains(app.id) ? app_states_[app.id].get() : nullptr;
  if (!state) return;
  auto it = state->users.find(std::string(user_id));
  if (it == state->users.end()) return;
  std::vector<ConnectionId> ids;
  for (Connection* c : it->second) ids.push_back(c->id);
  for (ConnectionId id : ids)
    if (Connection* c = find(id)) close_with(*c, Errc::Unauthorized, "Connection terminated by the application");
}

// ---- Figures ----

AppCounters Hub::counters(std::string_view app_id) const {
  auto it = app_states_.find(std::string(app_id));
  if (it == app_states_.end()) return AppCounters{};
  AppCounters counters = it->second->counters;
  counters.channels = it->second->channels.size();
  for (const auto& [name, channel] : it->second->channels) counters.subscriptions += channel->subscribers.size();
  return counters;
}

std::int64_t Hub::take_peak_connections(std::string_view app_id) {
  auto it = app_states_.find(std::string(app_id));
  if (it == app_states_.end()) return 0;
  AppCounters& counters = it->second->counters;
  const std::int64_t peak = counters.peak_connections;
  counters.peak_connections = counters.connections;
  // Every loop's connections: the peak of the whole server.
  if (settings_.ledger) return settings_.ledger->take_peak(app_id);
  return peak;
}

void Hub::count_api_message(const App& app) {
  AppState& state = state_for(app);
  state.counters.api_messages++;
  if (state.shared_counters) state.shared_counters->api_messages.fetch_add(1, std::memory_order_relaxed);
}

AppCounters Hub::server_counters(const App& app) const {
  AppCounters counters = this->counters(app.id);
  if (!settings_.shared_counters) return counters;
  settings_.shared_counters->read(app.id, counters);
  if (settings_.ledger) counters.connections = settings_.ledger->connections(app.id);
  // The channels and subscriptions of the other loops, as this hub keeps them.
  if (const AppState* state = state_for(app)) {
    counters.channels = occupied_channels(app, "").size();
    for (const auto& [name, remote] : state->remote_channels) counters.subscriptions += remote.total_subscriptions();
  }
  return counters;
}

std::string_view Hub::socket_id_of(ConnectionId id) const {
  const Connection* c = find(id);
  return c ? std::string_view(c->socket_id) : std::string_view();
}

}  // namespace pws::channels
