// Observer: lifecycle events of the hub, for the --debug console log today
// and the dashboard feed, webhooks and statistics later. The hub calls every
// registered observer in order; with none registered it costs a loop over an
// empty vector.
#pragma once

#include <cstddef>
#include <string_view>

#include "channels/app.hpp"

namespace pws::channels {

class Observer {
 public:
  virtual ~Observer() = default;
  virtual void on_connected(const App&, std::string_view /*socket_id*/, std::string_view /*origin*/) {}
  virtual void on_disconnected(const App&, std::string_view /*socket_id*/) {}
  virtual void on_subscribed(const App&, std::string_view /*socket_id*/, std::string_view /*channel*/) {}
  virtual void on_unsubscribed(const App&, std::string_view /*socket_id*/, std::string_view /*channel*/) {}
  virtual void on_channel_occupied(const App&, std::string_view /*channel*/) {}
  virtual void on_channel_vacated(const App&, std::string_view /*channel*/) {}
  virtual void on_member_added(const App&, std::string_view /*channel*/, std::string_view /*user_id*/) {}
  virtual void on_member_removed(const App&, std::string_view /*channel*/, std::string_view /*user_id*/) {}
  virtual void on_client_event(const App&, std::string_view /*socket_id*/, std::string_view /*channel*/,
                               std::string_view /*event*/, std::string_view /*data*/,
                               std::string_view /*user_id*/) {}
  virtual void on_api_message(const App&, std::string_view /*channel*/, std::string_view /*event*/,
                              std::string_view /*data*/) {}
  /// A client subscribed to a cache channel with nothing cached (2.12).
  virtual void on_cache_miss(const App&, std::string_view /*channel*/) {}
  /// A non-presence channel's subscription count changed, with subscription
  /// counting enabled for the app (2.11); throttled like the client event.
  virtual void on_subscription_count(const App&, std::string_view /*channel*/, std::size_t /*count*/) {}
  /// An error sent to a client (app may be null before the app is known).
  virtual void on_client_error(const App* /*app*/, std::string_view /*socket_id*/, int /*code*/,
                               std::string_view /*message*/) {}
};

}  // namespace pws::channels
