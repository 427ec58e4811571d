// Test support for channels::Hub: a RecordingOutbox (every send, protocol
// ping and close, in order, with the Frame objects kept so tests can check
// that recipients share one buffer), a RecordingObserver, and HubFixture:
// a hub on a ManualClock with app 1001 / pws-key / pws-secret (client events
// enabled, as checklist section 10 assumes) and helpers that sign like an
// application's auth endpoint would, from the hub's own random socket ids.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "channels/app.hpp"
#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "channels/observer.hpp"
#include "channels/outbox.hpp"
#include "crypto/crypto.hpp"
#include "protocol/frame.hpp"

namespace pws::channels::test {

namespace json = boost::json;

inline constexpr std::string_view kAppId = "1001";
inline constexpr std::string_view kKey = "pws-key";
inline constexpr std::string_view kSecret = "pws-secret";

// ---- Outbox ----

class RecordingOutbox final : public Outbox {
 public:
  enum class Kind { Send, Ping, Close };
  struct Entry {
    Kind kind;
    ConnectionId to;
    protocol::Frame frame;  // Send only
    int code = 0;           // Close only
    std::string reason;     // Close only
  };

  void send(ConnectionId to, const protocol::Frame& frame) override {
    log.push_back({Kind::Send, to, frame, 0, {}});
  }
  void ping(ConnectionId to) override { log.push_back({Kind::Ping, to, {}, 0, {}}); }
  void close(ConnectionId to, int close_code, std::string_view reason) override {
    log.push_back({Kind::Close, to, {}, close_code, std::string(reason)});
  }

  void clear() { log.clear(); }

  /// Frames sent to `to`, in order.
  std::vector<protocol::Frame> frames_to(ConnectionId to) const {
    std::vector<protocol::Frame> out;
    for (const auto& e : log)
      if (e.kind == Kind::Send && e.to == to) out.push_back(e.frame);
    return out;
  }

  /// Payloads sent to `to`, in order.
  std::vector<std::string> payloads_to(ConnectionId to) const {
    std::vector<std::string> out;
    for (const auto& f : frames_to(to)) out.emplace_back(f.payload());
    return out;
  }

  /// Parsed messages sent to `to`, optionally only those named `event`.
  std::vector<json::object> messages_to(ConnectionId to, std::string_view event = {}) const {
    std::vector<json::object> out;
    for (const auto& p : payloads_to(to)) {
      json::value v = json::parse(p);
      json::object& o = v.as_object();
      if (event.empty() || o.at("event").as_string() == event) out.push_back(std::move(o));
    }
    return out;
  }

  std::size_t count(ConnectionId to, std::string_view event) const {
    return messages_to(to, event).size();
  }

  /// Number of messages of any kind sent to `to`.
  std::size_t sends_to(ConnectionId to) const { return frames_to(to).size(); }

  std::size_t pings_to(ConnectionId to) const {
    std::size_t n = 0;
    for (const auto& e : log) n += (e.kind == Kind::Ping && e.to == to) ? 1 : 0;
    return n;
  }

  std::vector<int> close_codes(ConnectionId to) const {
    std::vector<int> out;
    for (const auto& e : log)
      if (e.kind == Kind::Close && e.to == to) out.push_back(e.code);
    return out;
  }
  bool closed(ConnectionId to) const { return !close_codes(to).empty(); }
  std::size_t total_closes() const {
    std::size_t n = 0;
    for (const auto& e : log) n += e.kind == Kind::Close ? 1 : 0;
    return n;
  }

  /// The last message sent to `to` (REQUIREs there is one).
  json::object last(ConnectionId to) const {
    auto all = messages_to(to);
    REQUIRE_FALSE(all.empty());
    return all.back();
  }
  std::string last_payload(ConnectionId to) const {
    auto all = payloads_to(to);
    REQUIRE_FALSE(all.empty());
    return all.back();
  }

  std::vector<Entry> log;
};

// ---- Observer ----

/// Records every observer call as one line of text, e.g.
/// "subscribed 123.456 orders" or "client_error 4009 <message>".
class RecordingObserver final : public Observer {
 public:
  void on_connected(const App&, std::string_view socket_id, std::string_view origin) override {
    add("connected " + std::string(socket_id) + (origin.empty() ? "" : " " + std::string(origin)));
  }
  void on_disconnected(const App&, std::string_view socket_id) override {
    add("disconnected " + std::string(socket_id));
  }
  void on_subscribed(const App&, std::string_view socket_id, std::string_view channel) override {
    add("subscribed " + std::string(socket_id) + " " + std::string(channel));
  }
  void on_unsubscribed(const App&, std::string_view socket_id, std::string_view channel) override {
    add("unsubscribed " + std::string(socket_id) + " " + std::string(channel));
  }
  void on_channel_occupied(const App&, std::string_view channel) override {
    add("occupied " + std::string(channel));
  }
  void on_channel_vacated(const App&, std::string_view channel) override {
    add("vacated " + std::string(channel));
  }
  void on_member_added(const App&, std::string_view channel, std::string_view user_id) override {
    add("member_added " + std::string(channel) + " " + std::string(user_id));
  }
  void on_member_removed(const App&, std::string_view channel, std::string_view user_id) override {
    add("member_removed " + std::string(channel) + " " + std::string(user_id));
  }
  void on_client_event(const App&, std::string_view socket_id, std::string_view channel,
                       std::string_view event, std::string_view data,
                       std::string_view user_id) override {
    add("client_event " + std::string(socket_id) + " " + std::string(channel) + " " +
        std::string(event) + " " + std::string(data) + (user_id.empty() ? "" : " " + std::string(user_id)));
  }
  void on_api_message(const App&, std::string_view channel, std::string_view event,
                      std::string_view data) override {
    add("api_message " + std::string(channel) + " " + std::string(event) + " " + std::string(data));
  }
  void on_cache_miss(const App&, std::string_view channel) override { add("cache_miss " + std::string(channel)); }
  void on_subscription_count(const App&, std::string_view channel, std::size_t count) override {
    add("subscription_count " + std::string(channel) + " " + std::to_string(count));
  }
  void on_client_error(const App* app, std::string_view, int code, std::string_view) override {
    add("client_error " + std::to_string(code) + (app ? " " + app->id : " -"));
  }

  std::vector<std::string> events;

 private:
  void add(std::string line) { events.push_back(std::move(line)); }
};

// ---- Apps ----

inline App pws_app() {
  App app;
  app.id = std::string(kAppId);
  app.key = std::string(kKey);
  app.secret = std::string(kSecret);
  app.name = "pws";
  app.enable_client_messages = true;
  return app;
}

inline App other_app() {
  App app;
  app.id = "2002";
  app.key = "other-key";
  app.secret = "other-secret";
  app.enable_client_messages = true;
  return app;
}

inline App disabled_app() {
  App app;
  app.id = "1002";
  app.key = "off-key";
  app.secret = "off-secret";
  app.enabled = false;
  return app;
}

inline std::vector<App> default_apps() { return {pws_app(), other_app(), disabled_app()}; }

inline std::shared_ptr<const AppDirectory> directory(std::vector<App> apps) {
  return std::make_shared<const AppDirectory>(std::move(apps));
}

// ---- Hub fixture ----

class HubFixture {
 public:
  explicit HubFixture(std::vector<App> apps = default_apps(), HubSettings settings = {})
      : hub(outbox, clock, settings, directory(std::move(apps))) {}

  /// Builds a fixture whose pws app is changed by `edit`.
  template <class Edit>
  static std::vector<App> apps_with(Edit edit) {
    auto apps = default_apps();
    edit(apps[0]);
    return apps;
  }

  const App& app() const {
    const App* a = hub.apps().find_by_id(kAppId);
    REQUIRE(a != nullptr);
    return *a;
  }

  /// Opens the next connection with `request`; returns its id and whether
  /// the hub accepted it.
  std::pair<ConnectionId, bool> open(OpenRequest request) {
    const ConnectionId id = next_id++;
    const bool ok = hub.open(id, request);
    return {id, ok};
  }

  /// Opens a connection to app `key` with protocol 7 and REQUIREs success.
  ConnectionId connect(std::string_view key = kKey) {
    OpenRequest r;
    r.app_key = key;
    r.protocol = "7";
    auto [id, ok] = open(r);
    REQUIRE(ok);
    return id;
  }

  std::string sid(ConnectionId id) const { return std::string(hub.socket_id_of(id)); }

  // Signatures as the app's auth endpoint makes them (section 4).
  static std::string sign(std::string_view to_sign, std::string_view key = kKey,
                          std::string_view secret = kSecret) {
    return std::string(key) + ":" + crypto::hmac_sha256_hex(secret, to_sign);
  }
  std::string private_auth(ConnectionId id, std::string_view channel) const {
    return sign(sid(id) + ":" + std::string(channel));
  }
  std::string presence_auth(ConnectionId id, std::string_view channel,
                            std::string_view channel_data) const {
    return sign(sid(id) + ":" + std::string(channel) + ":" + std::string(channel_data));
  }
  std::string user_auth(ConnectionId id, std::string_view user_data) const {
    return sign(sid(id) + "::user::" + std::string(user_data));
  }

  void receive(ConnectionId id, std::string_view text) { hub.receive(id, text); }

  void subscribe(ConnectionId id, std::string_view channel, std::string_view auth = "",
                 std::optional<std::string_view> channel_data = std::nullopt) {
    json::object data{{"auth", auth}, {"channel", channel}};
    if (channel_data) data["channel_data"] = *channel_data;
    receive(id, json::serialize(json::object{{"event", "pusher:subscribe"}, {"data", data}}));
  }
  void subscribe_private(ConnectionId id, std::string_view channel) {
    subscribe(id, channel, private_auth(id, channel));
  }
  void join_presence(ConnectionId id, std::string_view channel, std::string_view channel_data) {
    subscribe(id, channel, presence_auth(id, channel, channel_data), channel_data);
  }
  /// Joins `channel` as user_id with optional user_info JSON text.
  void join_as(ConnectionId id, std::string_view channel, std::string_view user_id,
               std::string_view user_info_json = {}) {
    std::string cd = "{\"user_id\":" + json::serialize(json::value(json::string(user_id)));
    if (!user_info_json.empty()) cd += ",\"user_info\":" + std::string(user_info_json);
    cd += "}";
    join_presence(id, channel, cd);
  }
  void unsubscribe(ConnectionId id, std::string_view channel) {
    receive(id, json::serialize(json::object{{"event", "pusher:unsubscribe"},
                                             {"data", json::object{{"channel", channel}}}}));
  }
  void signin(ConnectionId id, std::string_view user_data) {
    signin_with(id, user_auth(id, user_data), user_data);
  }
  void signin_with(ConnectionId id, std::string_view auth, std::string_view user_data) {
    receive(id, json::serialize(json::object{
                    {"event", "pusher:signin"},
                    {"data", json::object{{"auth", auth}, {"user_data", user_data}}}}));
  }
  void client_event(ConnectionId id, std::string_view channel, std::string_view event,
                    json::value data = json::object{}) {
    receive(id, json::serialize(
                    json::object{{"event", event}, {"data", std::move(data)}, {"channel", channel}}));
  }

  /// True when the last message to `id` is subscription_succeeded for `channel`.
  bool succeeded(ConnectionId id, std::string_view channel) const {
    auto m = outbox.messages_to(id, "pusher_internal:subscription_succeeded");
    for (const auto& o : m)
      if (o.at("channel").as_string() == channel) return true;
    return false;
  }

  /// The data object of the last pusher:subscription_error to `id`.
  json::object subscription_error(ConnectionId id) const {
    auto m = outbox.messages_to(id, "pusher:subscription_error");
    REQUIRE_FALSE(m.empty());
    return m.back().at("data").as_object();
  }

  /// The code of the last pusher:error to `id` (0 for null).
  std::int64_t error_code(ConnectionId id) const {
    auto m = outbox.messages_to(id, "pusher:error");
    REQUIRE_FALSE(m.empty());
    const json::value& code = m.back().at("data").at("code");
    return code.is_null() ? 0 : code.as_int64();
  }

  /// The connection's last message is pusher:error `code`, followed by a
  /// close with the same code (10.1 #16), and the hub has forgotten it.
  void require_closed_with(ConnectionId id, int code) const {
    INFO("connection " << id << ", expected code " << code);
    std::optional<std::size_t> last_send, close_at;
    for (std::size_t i = 0; i < outbox.log.size(); ++i) {
      const auto& e = outbox.log[i];
      if (e.to != id) continue;
      if (e.kind == RecordingOutbox::Kind::Send) last_send = i;
      if (e.kind == RecordingOutbox::Kind::Close && !close_at) close_at = i;
    }
    REQUIRE(last_send.has_value());
    REQUIRE(close_at.has_value());
    CHECK(*last_send < *close_at);
    const json::value last = json::parse(outbox.log[*last_send].frame.payload());
    CHECK(last.at("event") == "pusher:error");
    CHECK(last.at("data").at("code") == code);
    CHECK(outbox.close_codes(id) == std::vector<int>{code});
    CHECK(outbox.log[*close_at].reason.size() <= 123);  // 2.10: close reason limit
    CHECK(hub.socket_id_of(id).empty());
    CHECK((code < 4300 || code > 4399));  // 10.1 #17
  }

  RecordingOutbox outbox;
  ManualClock clock;
  Hub hub;
  ConnectionId next_id = 1;
};

/// The `data` member of a message, decoded when it is a string.
inline json::value decoded_data(const json::object& message) {
  const json::value& d = message.at("data");
  return d.is_string() ? json::parse(d.as_string()) : d;
}

inline std::string str(const json::value& v) { return std::string(v.as_string()); }

}  // namespace pws::channels::test
