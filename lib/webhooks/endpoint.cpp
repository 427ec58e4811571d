#include "webhooks/endpoint.hpp"

namespace pws::webhooks {

bool AppWebhooks::wants_any(EventType type, std::string_view channel) const {
  for (const auto& endpoint : endpoints)
    if (endpoint->wants(type, channel)) return true;
  if (vacate_delay_ms > 0) {
    if (const auto pair = paired_type(type)) {
      for (const auto& endpoint : endpoints)
        if (endpoint->wants(*pair, channel)) return true;
    }
  }
  return false;
}

std::shared_ptr<const AppWebhooks> make_app_webhooks(const channels::App& app, FigureBook& figures,
                                                     const LogFn& log) {
  if (app.webhooks.empty()) return nullptr;
  auto hooks = std::make_shared<AppWebhooks>();
  hooks->app_id = app.id;
  hooks->vacate_delay_ms = app.webhook_vacate_delay_ms;
  hooks->figures = figures.for_app(app.id);
  for (std::size_t i = 0; i < app.webhooks.size(); ++i) {
    const channels::Webhook& hook = app.webhooks[i];
    auto url = client::parse_request_url(hook.url);
    if (!url) {
      // The parser's message quotes the URL, which may hold a token: name
      // the entry instead.
      log("webhook " + std::to_string(i) + " of app " + app.id + " has a URL pws cannot send to; skipped");
      continue;
    }
    auto endpoint = std::make_shared<Endpoint>();
    endpoint->app_id = app.id;
    endpoint->app_key = app.key;
    endpoint->app_secret = app.secret;
    endpoint->hook = hook;
    endpoint->server = url->server;
    endpoint->target = std::move(url->target);
    endpoint->label = "app " + app.id + ", webhook " + url->server.text();
    endpoint->queue_key = app.id + '\n' + hook.url;
    endpoint->batching = app.webhook_batching;
    endpoint->batching_window_ms = app.webhook_batching_window_ms;
    endpoint->figures = hooks->figures;
    hooks->endpoints.push_back(std::move(endpoint));
  }
  if (hooks->endpoints.empty()) return nullptr;
  return hooks;
}

}  // namespace pws::webhooks
