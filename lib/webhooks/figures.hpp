// Figures: per-app webhook counters, written by the sender thread and the
// event loop and read by /metrics, so they are atomics. An app's counters
// outlive registry reloads: they are kept by app id and only ever grow.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "http_api/webhook_figures.hpp"

namespace pws::webhooks {

struct AppFigures {
  std::atomic<std::uint64_t> queued{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> failed_attempts{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::int64_t> pending{0};  // signed: increments and decrements race benignly

  void add(std::atomic<std::uint64_t>& counter, std::uint64_t n = 1) noexcept {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
  void add_pending(std::int64_t n) noexcept { pending.fetch_add(n, std::memory_order_relaxed); }
};

class FigureBook final : public http_api::WebhookFigures {
 public:
  /// The counters of `app_id`, created at zero the first time.
  std::shared_ptr<AppFigures> for_app(std::string_view app_id);

  std::vector<std::pair<std::string, http_api::WebhookAppFigures>> webhook_figures() const override;

 private:
  mutable std::mutex mutex_;  // guards the map only; the counters are atomic
  std::map<std::string, std::shared_ptr<AppFigures>, std::less<>> apps_;
};

}  // namespace pws::webhooks
