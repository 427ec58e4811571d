// WebhookFiguresSum: with several event loops each has its own webhook
// sender; /metrics on any loop reports their figures added up. The senders'
// figures are safe to read from any thread.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "http_api/webhook_figures.hpp"

namespace pws::server {

class WebhookFiguresSum final : public http_api::WebhookFigures {
 public:
  /// Called while the loops are built, before any of them runs.
  void add(const http_api::WebhookFigures* source) { sources_.push_back(source); }

  std::vector<std::pair<std::string, http_api::WebhookAppFigures>> webhook_figures() const override {
    std::map<std::string, http_api::WebhookAppFigures> sum;
    for (const auto* source : sources_) {
      for (const auto& [app_id, row] : source->webhook_figures()) {
        http_api::WebhookAppFigures& total = sum[app_id];
        total.queued += row.queued;
        total.sent += row.sent;
        total.failed_attempts += row.failed_attempts;
        total.dropped += row.dropped;
        total.pending += row.pending;
      }
    }
    return {sum.begin(), sum.end()};
  }

 private:
  std::vector<const http_api::WebhookFigures*> sources_;
};

}  // namespace pws::server
