// /metrics with a WebhookFigures source: the pws_webhook_* families per app,
// and nothing of them without a source.
#include <catch2/catch.hpp>

#include "http_api/api_fixture.hpp"
#include "http_api/webhook_figures.hpp"

using namespace pws;
using namespace pws::http_api;
using namespace pws::http_api::test;
using Catch::Matchers::Contains;

namespace {

struct FixedFigures final : WebhookFigures {
  std::vector<std::pair<std::string, WebhookAppFigures>> rows;
  std::vector<std::pair<std::string, WebhookAppFigures>> webhook_figures() const override { return rows; }
};

Request metrics_request() {
  Request r;
  r.method = "GET";
  r.path = "/metrics";
  r.from_loopback = true;
  return r;
}

}  // namespace

TEST_CASE("/metrics reports webhook figures per app when a source is set (issue 6)", "[http_api][metrics]") {
  ApiFixture f;
  CHECK_THAT(f.api.handle(metrics_request()).body, !Contains("pws_webhook"));

  FixedFigures figures;
  figures.rows = {{"1001", WebhookAppFigures{7, 5, 3, 1, 1}}, {"a\"b", WebhookAppFigures{}}};
  f.api.set_webhook_figures(&figures);
  const std::string body = f.api.handle(metrics_request()).body;
  CHECK_THAT(body, Contains("# TYPE pws_webhook_events_queued_total counter\n"));
  CHECK_THAT(body, Contains("\npws_webhook_events_queued_total{app_id=\"1001\"} 7\n"));
  CHECK_THAT(body, Contains("\npws_webhook_events_sent_total{app_id=\"1001\"} 5\n"));
  CHECK_THAT(body, Contains("\npws_webhook_attempts_failed_total{app_id=\"1001\"} 3\n"));
  CHECK_THAT(body, Contains("\npws_webhook_events_dropped_total{app_id=\"1001\"} 1\n"));
  CHECK_THAT(body, Contains("# TYPE pws_webhook_events_pending gauge\n"));
  CHECK_THAT(body, Contains("\npws_webhook_events_pending{app_id=\"1001\"} 1\n"));
  CHECK_THAT(body, Contains("\npws_webhook_events_pending{app_id=\"a\\\"b\"} 0\n"));
}
