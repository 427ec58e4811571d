// Transport: how a worker carries out one Delivery. The real one is a
// blocking HTTP/1.1 POST through lib/client; unit tests use a fake.
#pragma once

#include <atomic>

#include "webhooks/delivery_scheduler.hpp"

namespace pws::webhooks {

class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends `delivery` and waits for the answer, at most delivery.timeout_ms
  /// (and less once `cancel` turns true). Called from several worker
  /// threads at once; must not throw.
  virtual AttemptResult post(const Delivery& delivery, const std::atomic<bool>& cancel) noexcept = 0;
};

/// POST with the client of lib/client: TLS verified against the system's
/// trusted certificates, success = any 2xx.
class HttpTransport final : public Transport {
 public:
  AttemptResult post(const Delivery& delivery, const std::atomic<bool>& cancel) noexcept override;
};

}  // namespace pws::webhooks
