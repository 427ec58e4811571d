// Api: the Pusher HTTP API (section 5) and the health endpoints, as a pure
// function of a Request over the hub: routing, signature check, JSON bodies,
// limits. Never touches sockets.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "http_api/metrics.hpp"
#include "http_api/rate_limiter.hpp"
#include "http_api/request.hpp"
#include "http_api/statistics_source.hpp"
#include "http_api/webhook_figures.hpp"

namespace pws::http_api {

struct ApiSettings {
  std::string path_prefix;             ///< stripped before routing ("" = none)
  int auth_timestamp_tolerance = 600;  ///< seconds
  bool metrics_enabled = true;         ///< GET /metrics
  /// Bearer token for /metrics from non-loopback peers; "" = loopback only.
  std::string metrics_token;
  std::string version;                 ///< reported by pws_build_info
};

class Api {
 public:
  Api(channels::Hub& hub, const channels::Clock& clock, ApiSettings settings);

  /// Handles GET /, /up, /ready, /metrics and everything under /apps/{id}/.
  Response handle(const Request& request);

  /// handle() for an in-process caller that has already established the
  /// right to act as the app (the dashboard): everything but the signature
  /// check, so its parameters, limits and answers are exactly the API's.
  Response handle_preauthorized(const Request& request);

  /// Where GET /apps/{id}/statistics and /metrics find the statistics;
  /// null (the default) = statistics off. Must outlive the Api.
  void set_statistics_source(StatisticsSource* source) noexcept { statistics_ = source; }

  /// Where /metrics finds the webhook figures; null (the default) = none.
  /// Must outlive the Api.
  void set_webhook_figures(const WebhookFigures* figures) noexcept { webhook_figures_ = figures; }
  /// Where /metrics finds the cluster figures; null (the default) = alone.
  void set_cluster_figures(const ClusterFigures* figures) noexcept { cluster_figures_ = figures; }

  /// With several event loops (one Api each): one budget of backend events
  /// and of reads, and one count of requests, for all of them.
  void share_with(const Api& other) { shared_ = other.shared_; }

  HttpCounts http_counts() const;

  /// While draining (graceful shutdown) /ready answers 503.
  void set_draining(bool draining) noexcept { draining_ = draining; }

 private:
  channels::Hub& hub_;
  const channels::Clock& clock_;
  ApiSettings settings_;
  bool draining_ = false;
  StatisticsSource* statistics_ = nullptr;
  const WebhookFigures* webhook_figures_ = nullptr;
  const ClusterFigures* cluster_figures_ = nullptr;
  // What the event loops of one server share (one Api each): one lock per
  // request, uncontended with one loop.
  struct Shared {
    RateLimiter backend_events;  // max_backend_events_per_sec, points = channels published to
    RateLimiter reads;           // max_read_req_per_sec
    mutable std::mutex mutex;    // guards http_counts
    HttpCounts http_counts;
    void count_request(const std::string& app_id, int status);
  };
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();

  /// handle() without the counting; `app_id` is set once the app is known.
  Response dispatch(const Request& request, std::string& app_id, bool signature_required);
  Response metrics(const Request& request);
};

}  // namespace pws::http_api
