#include "webhooks/webhook_observer.hpp"

#include "protocol/channel_name.hpp"
#include "protocol/names.hpp"

namespace pws::webhooks {

namespace {

constexpr std::int64_t kDropLogIntervalMs = 10'000;

}  // namespace

WebhookObserver::WebhookObserver(EventSink& sink, const Clock& clock, FigureBook& figures, LogFn log)
    : sink_(sink), clock_(clock), figures_(figures), log_(std::move(log)) {}

void WebhookObserver::set_apps(const channels::AppDirectory& apps) {
  std::unordered_map<const channels::App*, std::shared_ptr<const AppWebhooks>> by_app;
  // Null entries too (webhooks none of which is usable): found, not rebuilt.
  for (const auto& app : apps.apps())
    if (!app->webhooks.empty()) by_app.emplace(app.get(), make_app_webhooks(*app, figures_, log_));
  by_app_ = std::move(by_app);
  pinned_ = apps.apps();
}

const std::shared_ptr<const AppWebhooks>& WebhookObserver::snapshot_for(const channels::App& app) {
  if (auto it = by_app_.find(&app); it != by_app_.end()) return it->second;
  // An App of no directory given to set_apps (a removed app's connections
  // closing during a reload): correct but uncached, and quiet, as set_apps
  // reports bad URLs.
  uncached_ = app.webhooks.empty() ? nullptr : make_app_webhooks(app, figures_, [](std::string_view) {});
  return uncached_;
}

template <class Fill>
void WebhookObserver::emit(const channels::App& app, EventType type, std::string_view channel, Fill&& fill) {
  if (app.webhooks.empty()) return;  // the common case: one branch
  // 7.2: never for server-to-user channels, whatever the filters say.
  if (channel.starts_with(protocol::names::kServerToUserPrefix)) return;
  const auto& hooks = snapshot_for(app);
  if (!hooks || !hooks->wants_any(type, channel)) return;
  QueuedEvent queued{hooks, {}};
  WebhookEvent& e = queued.event;
  e.type = type;
  e.channel = channel;
  e.time_ms = clock_.unix_ms();
  e.at_ms = clock_.monotonic_ms();
  fill(e);
  if (!sink_.offer(std::move(queued))) note_dropped(*hooks->figures);
}

void WebhookObserver::note_dropped(AppFigures& figures) {
  figures.add(figures.dropped);
  ++unlogged_drops_;
  const std::int64_t now = clock_.monotonic_ms();
  if (drop_logged_ && now - last_drop_log_ms_ < kDropLogIntervalMs) return;
  log_("webhook sender is behind: " + std::to_string(unlogged_drops_) + " events dropped before queueing");
  drop_logged_ = true;
  last_drop_log_ms_ = now;
  unlogged_drops_ = 0;
}

void WebhookObserver::on_channel_occupied(const channels::App& app, std::string_view channel) {
  if (transition_gate_ && !transition_gate_()) return;
  emit(app, EventType::ChannelOccupied, channel, [](WebhookEvent&) {});
}

void WebhookObserver::on_channel_vacated(const channels::App& app, std::string_view channel) {
  if (transition_gate_ && !transition_gate_()) return;
  emit(app, EventType::ChannelVacated, channel, [](WebhookEvent&) {});
}

void WebhookObserver::on_member_added(const channels::App& app, std::string_view channel,
                                      std::string_view user_id) {
  if (transition_gate_ && !transition_gate_()) return;
  emit(app, EventType::MemberAdded, channel, [&](WebhookEvent& e) { e.user_id = user_id; });
}

void WebhookObserver::on_member_removed(const channels::App& app, std::string_view channel,
                                        std::string_view user_id) {
  if (transition_gate_ && !transition_gate_()) return;
  emit(app, EventType::MemberRemoved, channel, [&](WebhookEvent& e) { e.user_id = user_id; });
}

void WebhookObserver::on_client_event(const channels::App& app, std::string_view socket_id,
                                      std::string_view channel, std::string_view event, std::string_view data,
                                      std::string_view user_id) {
  emit(app, EventType::ClientEvent, channel, [&](WebhookEvent& e) {
    e.event = event;
    e.data = data;
    e.socket_id = socket_id;
    // 7.3: user_id on presence channels only (the hub passes it only there).
    if (protocol::classify_channel(channel).is_presence()) e.user_id = user_id;
  });
}

void WebhookObserver::on_cache_miss(const channels::App& app, std::string_view channel) {
  emit(app, EventType::CacheMiss, channel, [](WebhookEvent&) {});
}

void WebhookObserver::on_subscription_count(const channels::App& app, std::string_view channel,
                                            std::size_t count) {
  emit(app, EventType::SubscriptionCount, channel, [&](WebhookEvent& e) { e.subscription_count = count; });
}

}  // namespace pws::webhooks
