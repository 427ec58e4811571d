// WebhookFigures: what /metrics needs from the webhook sender (in its own
// module, with its own threads): per-app counters read without locks or
// knowledge of queues and workers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace pws::http_api {

/// One app's webhook figures; events count once per endpoint they are for.
struct WebhookAppFigures {
  std::uint64_t queued = 0;           ///< events accepted for delivery (counter)
  std::uint64_t sent = 0;             ///< events delivered with a 2xx answer (counter)
  std::uint64_t failed_attempts = 0;  ///< requests that failed (non-2xx, error, timeout) (counter)
  std::uint64_t dropped = 0;          ///< events given up: queue full, retries over, shutdown (counter)
  std::uint64_t pending = 0;          ///< events waiting or in flight (gauge)
};

class WebhookFigures {
 public:
  virtual ~WebhookFigures() = default;
  /// One row per app that has (or had) webhooks, ordered by app id.
  virtual std::vector<std::pair<std::string, WebhookAppFigures>> webhook_figures() const = 0;
};

}  // namespace pws::http_api
