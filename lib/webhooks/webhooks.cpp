#include "webhooks/webhooks.hpp"

#include <cstdio>

namespace pws::webhooks {

namespace {

void log_to_stderr(std::string_view line) {
  // One write per line, so lines of two threads never interleave.
  std::string text = "pws: webhooks: ";
  text += line;
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

Webhooks::Webhooks(WebhooksSettings settings)
    : settings_(std::move(settings)),
      own_clock_(std::make_unique<SystemClock>()),
      own_transport_(std::make_unique<HttpTransport>()),
      clock_(*own_clock_),
      log_(log_to_stderr),
      sender_(settings_.sender, *own_transport_, clock_, log_),
      observer_(sender_, clock_, figures_, log_) {}

Webhooks::Webhooks(WebhooksSettings settings, const Clock& clock, Transport& transport, LogFn log)
    : settings_(std::move(settings)),
      clock_(clock),
      log_(std::move(log)),
      sender_(settings_.sender, transport, clock_, log_),
      observer_(sender_, clock_, figures_, log_) {}

Webhooks::~Webhooks() { sender_.stop(std::chrono::milliseconds(0)); }

void Webhooks::set_apps(const channels::AppDirectory& apps) {
  observer_.set_apps(apps);
  // Idle servers (no webhook anywhere) run no threads.
  if (!sender_.started()) {
    for (const auto& app : apps.apps()) {
      if (!app->webhooks.empty()) {
        sender_.start();
        break;
      }
    }
  }
}

void Webhooks::stop() { sender_.stop(settings_.shutdown_grace); }

}  // namespace pws::webhooks
