// Test fixture for http_api::Api over a real channels::Hub: a recording
// Outbox, a manual clock at the test-vector timestamp, and three apps
// (pws 1001, the Pusher docs app 3, and a disabled app 1002).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "channels/app.hpp"
#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "channels/outbox.hpp"
#include "crypto/crypto.hpp"
#include "http_api/api.hpp"
#include "http_api/signing.hpp"

namespace pws::http_api::test {

inline constexpr std::string_view kAppId = "1001";
inline constexpr std::string_view kKey = "pws-key";
inline constexpr std::string_view kSecret = "pws-secret";

class RecordingOutbox final : public channels::Outbox {
 public:
  struct Sent {
    channels::ConnectionId to;
    std::string payload;
  };
  struct Closed {
    channels::ConnectionId to;
    int code;
  };

  void send(channels::ConnectionId to, const protocol::Frame& frame) override {
    sent.push_back({to, std::string(frame.payload())});
  }
  void ping(channels::ConnectionId) override {}
  void close(channels::ConnectionId to, int code, std::string_view) override {
    closed.push_back({to, code});
  }

  /// True for a channel event (not pusher:/pusher_internal:).
  static bool is_channel_event(std::string_view payload) {
    boost::json::error_code ec;
    auto v = boost::json::parse(payload, ec);
    if (ec || !v.is_object()) return false;
    const auto* event = v.get_object().if_contains("event");
    if (event == nullptr || !event->is_string()) return false;
    const std::string_view name = event->get_string();
    return !name.starts_with("pusher:") && !name.starts_with("pusher_internal:");
  }

  /// Channel-event payloads sent to `id`, in order.
  std::vector<std::string> channel_events_to(channels::ConnectionId id) const {
    std::vector<std::string> out;
    for (const auto& s : sent)
      if (s.to == id && is_channel_event(s.payload)) out.push_back(s.payload);
    return out;
  }

  /// Channel events sent to anyone.
  std::size_t channel_event_count() const {
    std::size_t n = 0;
    for (const auto& s : sent) n += is_channel_event(s.payload) ? 1 : 0;
    return n;
  }

  std::vector<Sent> sent;
  std::vector<Closed> closed;
};

inline std::vector<channels::App> default_apps() {
  channels::App pws;
  pws.id = std::string(kAppId);
  pws.key = std::string(kKey);
  pws.secret = std::string(kSecret);
  channels::App docs;
  docs.id = "3";
  docs.key = "278d425bdf160c739803";
  docs.secret = "7ad3773142a6692b25b8";
  channels::App disabled;
  disabled.id = "1002";
  disabled.key = "off-key";
  disabled.secret = "off-secret";
  disabled.enabled = false;
  return {pws, docs, disabled};
}

class ApiFixture {
 public:
  explicit ApiFixture(ApiSettings settings = {})
      : hub_(outbox, clock, channels::HubSettings{},
             std::make_shared<const channels::AppDirectory>(default_apps())),
        api(hub_, clock, std::move(settings)) {}

  channels::Hub& hub() { return hub_; }

  /// A request signed as pusher-http-node would sign it for app 1001 (or
  /// the given key/secret), over `signed_path` (defaults to `path`).
  Request signed_request(std::string method, std::string path, std::string body = {},
                         std::vector<QueryParam> params = {}) {
    return signed_request_as(kKey, kSecret, std::move(method), std::move(path), std::move(body),
                             std::move(params));
  }

  Request signed_request_as(std::string_view key, std::string_view secret, std::string method,
                            std::string path, std::string body,
                            std::vector<QueryParam> params = {}) {
    Request r;
    r.query = signed_query(key, secret, method, path, body, clock.unix_seconds(),
                           std::move(params));
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    return r;
  }

  Response post(std::string path, std::string body) {
    return api.handle(signed_request("POST", std::move(path), std::move(body)));
  }
  Response get(std::string path, std::vector<QueryParam> params = {}) {
    return api.handle(signed_request("GET", std::move(path), {}, std::move(params)));
  }

  /// Opens a WebSocket connection of app 1001 and returns its id.
  channels::ConnectionId connect() {
    const auto id = next_id_++;
    REQUIRE(hub_.open(id, channels::OpenRequest{kKey, "7", "", false}));
    return id;
  }

  std::string socket_id(channels::ConnectionId id) { return std::string(hub_.socket_id_of(id)); }

  void subscribe(channels::ConnectionId id, std::string_view channel) {
    std::string frame = R"({"event":"pusher:subscribe","data":{"channel":")";
    frame.append(channel);
    frame.append(R"("}})");
    hub_.receive(id, frame);
  }

  void subscribe_presence(channels::ConnectionId id, std::string_view channel,
                          std::string_view user_id) {
    const std::string channel_data = R"({"user_id":")" + std::string(user_id) + R"("})";
    const auto signature =
        crypto::hmac_sha256_hex(kSecret, socket_id(id) + ":" + std::string(channel) + ":" +
                                             channel_data);
    boost::json::object data{{"channel", channel},
                             {"auth", std::string(kKey) + ":" + signature},
                             {"channel_data", channel_data}};
    boost::json::object frame{{"event", "pusher:subscribe"}, {"data", data}};
    hub_.receive(id, boost::json::serialize(frame));
  }

  void sign_in(channels::ConnectionId id, std::string_view user_id) {
    const std::string user_data = R"({"id":")" + std::string(user_id) + R"("})";
    const auto signature =
        crypto::hmac_sha256_hex(kSecret, socket_id(id) + "::user::" + user_data);
    boost::json::object data{{"auth", std::string(kKey) + ":" + signature},
                             {"user_data", user_data}};
    boost::json::object frame{{"event", "pusher:signin"}, {"data", data}};
    hub_.receive(id, boost::json::serialize(frame));
  }

  RecordingOutbox outbox;
  channels::ManualClock clock;

 private:
  channels::Hub hub_;

 public:
  Api api;

 private:
  channels::ConnectionId next_id_ = 1;
};

}  // namespace pws::http_api::test
