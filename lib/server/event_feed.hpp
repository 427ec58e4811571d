// EventFeed: the live event feed of each app for signed watchers
// (ws://host{prefix}/feed?app_id=..&auth_...; notes/feed-spec.md). An
// Observer of the hub that encodes each hub event once per app as a
// protocol::Frame and queues it to every watcher of that app. Watchers are
// not Pusher connections: the hub never sees them.
//
// Cost when nobody watches: one branch per hub event (total_ == 0). When
// someone watches some app, one hash lookup by app id; the frame is built
// only when the event's app has watchers.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "channels/app.hpp"
#include "channels/observer.hpp"
#include "protocol/frame.hpp"

namespace pws::server {

/// One watcher as the feed sees it (the transport's session).
class FeedSink {
 public:
  virtual ~FeedSink() = default;
  /// Queue a frame (bounded; the transport closes an overflowing watcher).
  virtual void feed_send(const protocol::Frame& frame) = 0;
  virtual void feed_close(int code, std::string_view reason) = 0;
};

/// Data longer than the limit ([dashboard] max_event_data_size_in_bytes,
/// by default this) is cut at a UTF-8 boundary and marked truncated.
inline constexpr std::size_t kDefaultFeedDataLimit = 1024;

/// The fields of one feed message; empty views and unset flags are omitted.
struct FeedEvent {
  std::string_view type{};
  std::string_view app_id{};
  std::string_view socket_id{};
  std::string_view channel{};
  std::string_view event{};
  std::string_view data{};
  bool has_data = false;
  std::string_view user_id{};
  std::string_view origin{};
  bool has_code = false;
  int code = 0;
  std::string_view message{};
};

/// {"time_ms":..,"type":..,"app_id":..,...} in the order of the spec.
protocol::Frame encode_feed_event(std::int64_t time_ms, const FeedEvent& event,
                                  std::size_t data_limit = kDefaultFeedDataLimit);

/// The longest prefix of `text` of at most `max` bytes that does not cut a
/// UTF-8 sequence.
std::string_view utf8_cut(std::string_view text, std::size_t max) noexcept;

/// The verdict on a feed upgrade request.
struct FeedAdmission {
  int status = 200;       ///< 200 = admitted; else 401, 403 or 404
  std::string message;    ///< why it was refused
  std::string app_id;     ///< the app watched, when admitted
  /// {"error":..,"code":N} for a refusal.
  std::string body() const;
};

/// Checks a feed upgrade: the app (404), the signature over
/// GET\n/feed\n<sorted params> with the app's secret (401), the app enabled
/// (403). `full_path` is the path as received (prefix included), `path`
/// the same without the server path prefix.
FeedAdmission admit_watcher(const channels::AppDirectory& apps, std::string_view full_path, std::string_view path,
                            std::string_view raw_query, std::int64_t now_unix_seconds, int tolerance_seconds);

class EventFeed final : public channels::Observer {
 public:
  /// `now_ms`: wall-clock Unix milliseconds (time_ms of each message).
  explicit EventFeed(std::function<std::int64_t()> now_ms, std::size_t data_limit = kDefaultFeedDataLimit);

  /// Registers a watcher of `app_id` and sends it feed_started.
  void add(FeedSink* sink, const std::string& app_id);
  /// Forgets a watcher (no-op when unknown).
  void remove(FeedSink* sink, const std::string& app_id);

  std::size_t watcher_count() const noexcept { return total_; }
  /// With several event loops: the count of every loop's watchers, kept up
  /// to date from here (FeedRelay copies events only while it is not 0).
  void count_watchers_in(std::atomic<std::size_t>* process_total) noexcept { process_total_ = process_total; }
  std::size_t watcher_count(std::string_view app_id) const;

  /// Every watcher, e.g. to ping them.
  template <typename F>
  void for_each_watcher(F&& f) const {
    for (const auto& [app_id, sinks] : by_app_)
      for (FeedSink* sink : sinks) f(*sink);
  }

  /// Closes every watcher (graceful shutdown: 4200).
  void close_all(int code, std::string_view reason);
  /// After a registry reload: watchers of removed apps are closed with
  /// 4001, of disabled apps with 4003.
  void close_stale(const channels::AppDirectory& apps);

  // Observer
  void on_connected(const channels::App&, std::string_view socket_id, std::string_view origin) override;
  void on_disconnected(const channels::App&, std::string_view socket_id) override;
  void on_subscribed(const channels::App&, std::string_view socket_id, std::string_view channel) override;
  void on_unsubscribed(const channels::App&, std::string_view socket_id, std::string_view channel) override;
  void on_channel_occupied(const channels::App&, std::string_view channel) override;
  void on_channel_vacated(const channels::App&, std::string_view channel) override;
  void on_member_added(const channels::App&, std::string_view channel, std::string_view user_id) override;
  void on_member_removed(const channels::App&, std::string_view channel, std::string_view user_id) override;
  void on_client_event(const channels::App&, std::string_view socket_id, std::string_view channel,
                       std::string_view event, std::string_view data, std::string_view user_id) override;
  void on_api_message(const channels::App&, std::string_view channel, std::string_view event,
                      std::string_view data) override;
  void on_client_error(const channels::App* app, std::string_view socket_id, int code,
                       std::string_view message) override;

 private:
  bool idle() const noexcept { return total_ == 0; }
  /// Encodes `event` for `app` once and queues it to the app's watchers.
  void publish(const channels::App& app, FeedEvent event);
  /// The watchers of `app_id`, or null when none.
  const std::vector<FeedSink*>* watchers_of(const std::string& app_id) const;
  void fan_out(const std::vector<FeedSink*>& sinks, FeedEvent& event);

  std::function<std::int64_t()> now_ms_;
  std::size_t data_limit_;
  std::unordered_map<std::string, std::vector<FeedSink*>> by_app_;  // never holds an empty vector
  std::size_t total_ = 0;
  std::atomic<std::size_t>* process_total_ = nullptr;
};

}  // namespace pws::server
