#include "server/feed_relay.hpp"

#include <algorithm>

#include "server/event_feed.hpp"

namespace pws::server {

using Kind = RelayedFeedEvent::Kind;

void FeedExchange::join(FeedRelay* relay) {
  std::lock_guard lock(mutex_);
  relays_.push_back(relay);
}

void FeedExchange::leave(FeedRelay* relay) {
  std::lock_guard lock(mutex_);
  relays_.erase(std::remove(relays_.begin(), relays_.end(), relay), relays_.end());
}

void FeedExchange::post(const FeedRelay* from, const RelayedFeedEvent& event) {
  std::lock_guard lock(mutex_);
  for (FeedRelay* relay : relays_)
    if (relay != from) relay->accept(event);
}

FeedRelay::FeedRelay(std::shared_ptr<FeedExchange> exchange, std::function<void()> wake)
    : exchange_(std::move(exchange)), wake_(std::move(wake)) {
  exchange_->join(this);
}

FeedRelay::~FeedRelay() { detach(); }

void FeedRelay::detach() {
  if (!attached_) return;
  attached_ = false;
  exchange_->leave(this);
}

void FeedRelay::accept(const RelayedFeedEvent& event) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    was_empty = inbox_.empty();
    inbox_.push_back(event);
    waiting_.store(true, std::memory_order_release);
  }
  if (was_empty && wake_) wake_();
}

void FeedRelay::replay(EventFeed& feed, const channels::AppDirectory& apps) {
  if (!waiting_.load(std::memory_order_acquire)) return;
  {
    std::lock_guard lock(mutex_);
    replaying_.swap(inbox_);
    waiting_.store(false, std::memory_order_relaxed);
  }
  for (const RelayedFeedEvent& e : replaying_) {
    const channels::App* app = e.has_app ? apps.find_by_id(e.app_id) : nullptr;
    if (e.has_app && !app) continue;  // removed by a reload meanwhile
    switch (e.kind) {
      case Kind::Connected: feed.on_connected(*app, e.socket_id, e.origin); break;
      case Kind::Disconnected: feed.on_disconnected(*app, e.socket_id); break;
      case Kind::Subscribed: feed.on_subscribed(*app, e.socket_id, e.channel); break;
      case Kind::Unsubscribed: feed.on_unsubscribed(*app, e.socket_id, e.channel); break;
      case Kind::ClientEvent: feed.on_client_event(*app, e.socket_id, e.channel, e.event, e.data, e.user_id); break;
      case Kind::ApiMessage: feed.on_api_message(*app, e.channel, e.event, e.data); break;
      case Kind::ClientError: feed.on_client_error(app, e.socket_id, e.code, e.message); break;
    }
  }
  replaying_.clear();
}

void FeedRelay::on_connected(const channels::App& app, std::string_view socket_id, std::string_view origin) {
  if (!watched()) return;
  RelayedFeedEvent e;
  e.kind = Kind::Connected;
  e.app_id = app.id;
  e.socket_id = socket_id;
  e.origin = origin;
  post(std::move(e));
}

void FeedRelay::on_disconnected(const channels::App& app, std::string_view socket_id) {
  if (!watched()) return;
  RelayedFeedEvent e;
  e.kind = Kind::Disconnected;
  e.app_id = app.id;
  e.socket_id = socket_id;
  post(std::move(e));
}

void FeedRelay::on_subscribed(const channels::App& app, std::string_view socket_id, std::string_view channel) {
  if (!watched()) return;
  RelayedFeedEvent e;
  e.kind = Kind::Subscribed;
  e.app_id = app.id;
  e.socket_id = socket_id;
  e.channel = channel;
  post(std::move(e));
}

void FeedRelay::on_unsubscribed(const channels::App& app, std::string_view socket_id, std::string_view channel) {
  if (!watched()) return;
  RelayedFeedEvent e;
  e.kind = Kind::Unsubscribed;
  e.app_id = app.id;
  e.socket_id = socket_id;
  e.channel = channel;
  post(std::move(e));
}

void FeedRelay::on_client_event(const channels::App& app, std::string_view socket_id, std::string_view channel,
                                std::string_view event, std::string_view data, std::string_view user_id) {
  if (!watched()) return;
  RelayedFeedEvent e;
  e.kind = Kind::ClientEvent;
  e.app_id = app.id;
  e.socket_id = socket_id;
  e.channel = channel;
  e.event = event;
  e.data = data;
  e.user_id = user_id;
  post(std::move(e));
}

void FeedRelay::on_api_message(const channels::App& app, std::string_view channel, std::string_view event,
                               std::string_view data) {
  if (!watched()) return;
  RelayedFeedEvent e;
  e.kind = Kind::ApiMessage;
  e.app_id = app.id;
  e.channel = channel;
  e.event = event;
  e.data = data;
  post(std::move(e));
}

void FeedRelay::on_client_error(const channels::App* app, std::string_view socket_id, int code,
                                std::string_view message) {
  if (!watched()) return;
  RelayedFeedEvent e;
  e.kind = Kind::ClientError;
  e.has_app = app != nullptr;
  if (app) e.app_id = app->id;
  e.socket_id = socket_id;
  e.code = code;
  e.message = message;
  post(std::move(e));
}

}  // namespace pws::server
