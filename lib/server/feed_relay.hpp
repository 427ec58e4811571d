// FeedRelay: with several event loops, a feed watcher is one loop's
// connection but must see every loop's events. Each loop's hub reports its
// own connections' events to its own EventFeed; its relay copies them to the
// other loops' feeds while anybody watches. Channel and presence transitions
// are not copied: every loop's hub sees the whole process's channels through
// the cluster seam and reports those itself.
//
// Costs one atomic load per hub event while nobody watches.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "channels/app.hpp"
#include "channels/observer.hpp"

namespace pws::server {

class EventFeed;
class FeedRelay;

/// One loop's hub event, owned, on its way to the other loops.
struct RelayedFeedEvent {
  enum class Kind : unsigned char { Connected, Disconnected, Subscribed, Unsubscribed, ClientEvent, ApiMessage, ClientError };
  Kind kind = Kind::Connected;
  bool has_app = true;  ///< false for a client error before the app was known
  std::string app_id;
  std::string socket_id;
  std::string channel;
  std::string event;
  std::string data;
  std::string user_id;
  std::string origin;
  int code = 0;
  std::string message;
};

/// The relays of one process's loops, and how many watchers they all have.
class FeedExchange {
 public:
  void join(FeedRelay* relay);
  void leave(FeedRelay* relay);
  /// Gives a copy of `event` to every relay but `from`.
  void post(const FeedRelay* from, const RelayedFeedEvent& event);
  /// Every loop's watchers, kept by the loops' EventFeeds.
  std::atomic<std::size_t>& watchers() noexcept { return watchers_; }

 private:
  std::mutex mutex_;  // relays_, and each relay's lifetime while posting to it
  std::vector<FeedRelay*> relays_;
  std::atomic<std::size_t> watchers_{0};
};

class FeedRelay final : public channels::Observer {
 public:
  /// `wake` makes this loop turn soon (thread-safe).
  FeedRelay(std::shared_ptr<FeedExchange> exchange, std::function<void()> wake);
  /// Stops receiving (before the loop's context goes: `wake` would reach it).
  void detach();
  ~FeedRelay() override;
  FeedRelay(const FeedRelay&) = delete;
  FeedRelay& operator=(const FeedRelay&) = delete;

  /// On the loop: hands what the other loops sent to `feed`.
  void replay(EventFeed& feed, const channels::AppDirectory& apps);
  /// From another loop's thread, through the exchange.
  void accept(const RelayedFeedEvent& event);

  // channels::Observer: this loop's own connections' events.
  void on_connected(const channels::App& app, std::string_view socket_id, std::string_view origin) override;
  void on_disconnected(const channels::App& app, std::string_view socket_id) override;
  void on_subscribed(const channels::App& app, std::string_view socket_id, std::string_view channel) override;
  void on_unsubscribed(const channels::App& app, std::string_view socket_id, std::string_view channel) override;
  void on_client_event(const channels::App& app, std::string_view socket_id, std::string_view channel,
                       std::string_view event, std::string_view data, std::string_view user_id) override;
  void on_api_message(const channels::App& app, std::string_view channel, std::string_view event,
                      std::string_view data) override;
  void on_client_error(const channels::App* app, std::string_view socket_id, int code,
                       std::string_view message) override;

 private:
  bool watched() const noexcept { return exchange_->watchers().load(std::memory_order_relaxed) > 0; }
  void post(RelayedFeedEvent event) { exchange_->post(this, event); }

  const std::shared_ptr<FeedExchange> exchange_;
  const std::function<void()> wake_;
  std::mutex mutex_;  // guards inbox_
  std::vector<RelayedFeedEvent> inbox_;
  std::vector<RelayedFeedEvent> replaying_;  // loop thread only
  std::atomic<bool> waiting_{false};
  bool attached_ = true;  // loop thread only
};

}  // namespace pws::server
