// EventSink: the hand-over from the event loop (WebhookObserver) to the
// sender thread. An event travels with the configuration snapshot it was
// produced under, so a reload in between changes nothing for it.
#pragma once

#include <memory>

#include "webhooks/endpoint.hpp"
#include "webhooks/webhook_event.hpp"

namespace pws::webhooks {

struct QueuedEvent {
  std::shared_ptr<const AppWebhooks> app;
  WebhookEvent event;
};

class EventSink {
 public:
  virtual ~EventSink() = default;
  /// Takes the event or refuses it (queue full, or stopped) at once; never waits.
  virtual bool offer(QueuedEvent&& event) = 0;
};

}  // namespace pws::webhooks
