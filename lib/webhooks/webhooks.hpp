// Webhooks: the webhook feature as the server sees it: an Observer to
// register with the hub, the registry's apps (again after every reload),
// figures for /metrics, and a graceful stop. Owns the sender threads, which
// start only once some app has a webhook.
#pragma once

#include <chrono>
#include <memory>

#include "channels/app.hpp"
#include "channels/observer.hpp"
#include "http_api/webhook_figures.hpp"
#include "webhooks/clock.hpp"
#include "webhooks/figures.hpp"
#include "webhooks/sender.hpp"
#include "webhooks/transport.hpp"
#include "webhooks/webhook_observer.hpp"

namespace pws::webhooks {

struct WebhooksSettings {
  SenderSettings sender;
  std::chrono::milliseconds shutdown_grace{3000};
};

class Webhooks {
 public:
  /// Real time, real HTTP, log lines to stderr ("pws: webhooks: ...").
  explicit Webhooks(WebhooksSettings settings);
  /// For tests: any clock, transport and log (all must outlive this).
  Webhooks(WebhooksSettings settings, const Clock& clock, Transport& transport, LogFn log);
  ~Webhooks();
  Webhooks(const Webhooks&) = delete;
  Webhooks& operator=(const Webhooks&) = delete;

  channels::Observer& observer() noexcept { return observer_; }
  const http_api::WebhookFigures& figures() const noexcept { return figures_; }

  /// Takes the apps' webhook configuration (on the loop thread): at start
  /// and after each registry reload. New events use it; queued ones keep
  /// the configuration they were produced under.
  void set_apps(const channels::AppDirectory& apps);
  /// See WebhookObserver::set_transition_gate.
  void set_transition_gate(std::function<bool()> gate) { observer_.set_transition_gate(std::move(gate)); }

  /// Delivers what is queued for up to the shutdown grace, then drops the
  /// rest (logged, counted). Call after the last hub event. Idempotent.
  void stop();

 private:
  WebhooksSettings settings_;
  std::unique_ptr<SystemClock> own_clock_;
  std::unique_ptr<HttpTransport> own_transport_;
  const Clock& clock_;
  LogFn log_;
  FigureBook figures_;
  Sender sender_;
  WebhookObserver observer_;
};

}  // namespace pws::webhooks
