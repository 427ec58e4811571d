#include "webhooks/figures.hpp"

namespace pws::webhooks {

std::shared_ptr<AppFigures> FigureBook::for_app(std::string_view app_id) {
  std::lock_guard lock(mutex_);
  auto it = apps_.find(app_id);
  if (it == apps_.end()) it = apps_.emplace(std::string(app_id), std::make_shared<AppFigures>()).first;
  return it->second;
}

std::vector<std::pair<std::string, http_api::WebhookAppFigures>> FigureBook::webhook_figures() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, http_api::WebhookAppFigures>> rows;
  rows.reserve(apps_.size());
  for (const auto& [id, f] : apps_) {
    http_api::WebhookAppFigures row;
    row.queued = f->queued.load(std::memory_order_relaxed);
    row.sent = f->sent.load(std::memory_order_relaxed);
    row.failed_attempts = f->failed_attempts.load(std::memory_order_relaxed);
    row.dropped = f->dropped.load(std::memory_order_relaxed);
    const auto pending = f->pending.load(std::memory_order_relaxed);
    row.pending = pending > 0 ? static_cast<std::uint64_t>(pending) : 0;
    rows.emplace_back(id, row);
  }
  return rows;
}

}  // namespace pws::webhooks
