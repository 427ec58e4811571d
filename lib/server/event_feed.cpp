#include "server/event_feed.hpp"

#include <algorithm>

#include "error/errc.hpp"
#include "http_api/authenticate.hpp"
#include "http_api/signing.hpp"
#include "protocol/json_text.hpp"

namespace pws::server {

namespace {

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.push_back(',');
  out.push_back('"');
  out.append(name);
  out.append("\":");
  protocol::append_json_string(out, value);
}

}  // namespace

std::string_view utf8_cut(std::string_view text, std::size_t max) noexcept {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

protocol::Frame encode_feed_event(std::int64_t time_ms, const FeedEvent& e, std::size_t data_limit) {
  const std::string_view data = e.has_data ? utf8_cut(e.data, data_limit) : std::string_view();
  protocol::FrameBuilder builder(96 + e.app_id.size() + e.socket_id.size() + e.channel.size() + e.event.size() +
                                 data.size() + e.user_id.size() + e.origin.size() + e.message.size());
  std::string& out = builder.out();
  out.append("{\"time_ms\":");
  out.append(std::to_string(time_ms));
  append_field(out, "type", e.type);
  append_field(out, "app_id", e.app_id);
  if (!e.socket_id.empty()) append_field(out, "socket_id", e.socket_id);
  if (!e.channel.empty()) append_field(out, "channel", e.channel);
  if (!e.event.empty()) append_field(out, "event", e.event);
  if (e.has_data) {
    append_field(out, "data", data);
    if (data.size() < e.data.size()) out.append(",\"truncated\":true");
  }
  if (!e.user_id.empty()) append_field(out, "user_id", e.user_id);
  if (!e.origin.empty()) append_field(out, "origin", e.origin);
  if (e.has_code) {
    out.append(",\"code\":");
    out.append(std::to_string(e.code));
  }
  if (!e.message.empty()) append_field(out, "message", e.message);
  out.push_back('}');
  return builder.take();
}

std::string FeedAdmission::body() const {
  std::string out = "{\"error\":";
  protocol::append_json_string(out, message);
  out.append(",\"code\":");
  out.append(std::to_string(status));
  out.push_back('}');
  return out;
}

FeedAdmission admit_watcher(const channels::AppDirectory& apps, std::string_view full_path, std::string_view path,
                            std::string_view raw_query, std::int64_t now_unix_seconds, int tolerance_seconds) {
  FeedAdmission verdict;
  auto refuse = [&](int status, std::string message) {
    verdict.status = status;
    verdict.message = std::move(message);
    return verdict;
  };
  auto params = http_api::parse_query(raw_query);
  if (!params) return refuse(401, params.error().message);
  const std::string* app_id = http_api::find_param(*params, "app_id");
  if (!app_id || app_id->empty()) return refuse(404, "Missing app_id");
  const channels::App* app = apps.find_by_id(*app_id);
  if (!app) return refuse(404, "Unknown app_id");
  const http_api::SignedRequest request{"GET", full_path, path, raw_query, {}};
  if (auto ok = http_api::authenticate(*app, request, *params, now_unix_seconds, tolerance_seconds); !ok)
    return refuse(401, ok.error().message);
  if (!app->enabled) return refuse(403, "Application disabled");
  verdict.app_id = app->id;
  return verdict;
}

EventFeed::EventFeed(std::function<std::int64_t()> now_ms, std::size_t data_limit)
    : now_ms_(std::move(now_ms)), data_limit_(data_limit) {}

void EventFeed::add(FeedSink* sink, const std::string& app_id) {
  by_app_[app_id].push_back(sink);
  ++total_;
  if (process_total_) process_total_->fetch_add(1, std::memory_order_relaxed);
  FeedEvent started;
  started.type = "feed_started";
  started.app_id = app_id;
  sink->feed_send(encode_feed_event(now_ms_(), started, data_limit_));
}

void EventFeed::remove(FeedSink* sink, const std::string& app_id) {
  auto it = by_app_.find(app_id);
  if (it == by_app_.end()) return;
  auto& sinks = it->second;
  auto found = std::find(sinks.begin(), sinks.end(), sink);
  if (found == sinks.end()) return;
  sinks.erase(found);
  --total_;
  if (process_total_) process_total_->fetch_sub(1, std::memory_order_relaxed);
  if (sinks.empty()) by_app_.erase(it);
}

std::size_t EventFeed::watcher_count(std::string_view app_id) const {
  const auto* sinks = watchers_of(std::string(app_id));
  return sinks ? sinks->size() : 0;
}

void EventFeed::close_all(int code, std::string_view reason) {
  for_each_watcher([&](FeedSink& sink) { sink.feed_close(code, reason); });
}

void EventFeed::close_stale(const channels::AppDirectory& apps) {
  for (const auto& [app_id, sinks] : by_app_) {
    const channels::App* app = apps.find_by_id(app_id);
    if (app && app->enabled) continue;
    const Errc reason = !app ? Errc::AppNotFound : Errc::AppDisabled;
    for (FeedSink* sink : sinks) sink->feed_close(info(reason).code, info(reason).message);
  }
}

const std::vector<FeedSink*>* EventFeed::watchers_of(const std::string& app_id) const {
  if (total_ == 0) return nullptr;
  auto it = by_app_.find(app_id);
  return it == by_app_.end() ? nullptr : &it->second;
}

void EventFeed::fan_out(const std::vector<FeedSink*>& sinks, FeedEvent& event) {
  const protocol::Frame frame = encode_feed_event(now_ms_(), event, data_limit_);  // one encoding for every watcher
  // feed_send never removes a watcher synchronously (closing is deferred to
  // the transport's close callback), so iterating the vector is safe.
  for (FeedSink* sink : sinks) sink->feed_send(frame);
}

void EventFeed::publish(const channels::App& app, FeedEvent event) {
  const std::vector<FeedSink*>* sinks = watchers_of(app.id);
  if (!sinks) return;
  event.app_id = app.id;
  fan_out(*sinks, event);
}

// Each hook tests idle() first, so an unwatched server pays one branch per
// hub event and builds nothing.

void EventFeed::on_connected(const channels::App& app, std::string_view socket_id, std::string_view origin) {
  if (idle()) return;
  publish(app, {.type = "connected", .socket_id = socket_id, .origin = origin});
}

void EventFeed::on_disconnected(const channels::App& app, std::string_view socket_id) {
  if (idle()) return;
  publish(app, {.type = "disconnected", .socket_id = socket_id});
}

void EventFeed::on_subscribed(const channels::App& app, std::string_view socket_id, std::string_view channel) {
  if (idle()) return;
  publish(app, {.type = "subscribed", .socket_id = socket_id, .channel = channel});
}

void EventFeed::on_unsubscribed(const channels::App& app, std::string_view socket_id, std::string_view channel) {
  if (idle()) return;
  publish(app, {.type = "unsubscribed", .socket_id = socket_id, .channel = channel});
}

void EventFeed::on_channel_occupied(const channels::App& app, std::string_view channel) {
  if (idle()) return;
  publish(app, {.type = "occupied", .channel = channel});
}

void EventFeed::on_channel_vacated(const channels::App& app, std::string_view channel) {
  if (idle()) return;
  publish(app, {.type = "vacated", .channel = channel});
}

void EventFeed::on_member_added(const channels::App& app, std::string_view channel, std::string_view user_id) {
  if (idle()) return;
  publish(app, {.type = "member_added", .channel = channel, .user_id = user_id});
}

void EventFeed::on_member_removed(const channels::App& app, std::string_view channel, std::string_view user_id) {
  if (idle()) return;
  publish(app, {.type = "member_removed", .channel = channel, .user_id = user_id});
}

void EventFeed::on_client_event(const channels::App& app, std::string_view socket_id, std::string_view channel,
                                std::string_view event, std::string_view data, std::string_view user_id) {
  if (idle()) return;
  publish(app, {.type = "client_event", .socket_id = socket_id, .channel = channel, .event = event, .data = data,
                .has_data = true, .user_id = user_id});
}

void EventFeed::on_api_message(const channels::App& app, std::string_view channel, std::string_view event,
                               std::string_view data) {
  if (idle()) return;
  publish(app, {.type = "api_message", .channel = channel, .event = event, .data = data, .has_data = true});
}

void EventFeed::on_client_error(const channels::App* app, std::string_view socket_id, int code,
                                std::string_view message) {
  // Before the app is known nobody can be watching it.
  if (idle() || !app) return;
  publish(*app, {.type = "error", .socket_id = socket_id, .has_code = true, .code = code, .message = message});
}

}  // namespace pws::server
