// WebhookObserver: the hub's events (on the event-loop thread) turned into
// webhook events and handed to the sender. It never blocks and never waits:
// an event no endpoint of its app wants costs a few string compares and no
// allocation; a wanted one is built once, stamped with the time it happened,
// and offered to a bounded queue; when that is full it is dropped, counted
// and (at most every 10 s) logged.
//
// Must not include libwebsockets; the sender and its threads are behind
// EventSink.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "channels/app.hpp"
#include "channels/observer.hpp"
#include "webhooks/clock.hpp"
#include "webhooks/endpoint.hpp"
#include "webhooks/event_sink.hpp"
#include "webhooks/figures.hpp"
#include "webhooks/webhook_event.hpp"

namespace pws::webhooks {

class WebhookObserver final : public channels::Observer {
 public:
  WebhookObserver(EventSink& sink, const Clock& clock, FigureBook& figures, LogFn log);

  /// Takes the webhook configuration of `apps` (at start and after every
  /// registry reload, on the loop thread).
  void set_apps(const channels::AppDirectory& apps);
  /// In a cluster every node sees channel_occupied/vacated and
  /// member_added/removed; only the node for which `gate` says true sends
  /// them. Unset (alone): always.
  void set_transition_gate(std::function<bool()> gate) { transition_gate_ = std::move(gate); }

  void on_channel_occupied(const channels::App& app, std::string_view channel) override;
  void on_channel_vacated(const channels::App& app, std::string_view channel) override;
  void on_member_added(const channels::App& app, std::string_view channel, std::string_view user_id) override;
  void on_member_removed(const channels::App& app, std::string_view channel, std::string_view user_id) override;
  void on_client_event(const channels::App& app, std::string_view socket_id, std::string_view channel,
                       std::string_view event, std::string_view data, std::string_view user_id) override;
  void on_cache_miss(const channels::App& app, std::string_view channel) override;
  void on_subscription_count(const channels::App& app, std::string_view channel, std::size_t count) override;

 private:
  /// The snapshot for `app` (null when nothing of it is sent); valid until
  /// the next call.
  const std::shared_ptr<const AppWebhooks>& snapshot_for(const channels::App& app);
  /// The event with its fields, when wanted; `fill` sets the type-specific ones.
  template <class Fill>
  void emit(const channels::App& app, EventType type, std::string_view channel, Fill&& fill);
  void note_dropped(AppFigures& figures);

  EventSink& sink_;
  const Clock& clock_;
  FigureBook& figures_;
  LogFn log_;
  // Keyed by address: the Apps of the directory given to set_apps are kept
  // alive in `pinned_`, so no other App can reuse one of these addresses.
  std::unordered_map<const channels::App*, std::shared_ptr<const AppWebhooks>> by_app_;
  std::vector<std::shared_ptr<const channels::App>> pinned_;
  std::shared_ptr<const AppWebhooks> uncached_;  // see snapshot_for
  std::function<bool()> transition_gate_;
  bool drop_logged_ = false;
  std::int64_t last_drop_log_ms_ = 0;
  std::uint64_t unlogged_drops_ = 0;
};

}  // namespace pws::webhooks
