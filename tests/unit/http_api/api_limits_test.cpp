// Per-app HTTP API rate limits (protocol reference 6): max_backend_events_per_sec,
// counted in channels published to, and max_read_req_per_sec; over the limit
// is 429 with a JSON body and nothing is published.
#include <catch2/catch.hpp>

#include "http_api/api_fixture.hpp"
#include "http_api/rate_limiter.hpp"

using namespace pws;
using namespace pws::http_api;
using namespace pws::http_api::test;

namespace {

/// The fixture with app 1001's limits changed by `edit`.
template <class Edit>
void limit_app(ApiFixture& f, Edit edit) {
  auto apps = default_apps();
  edit(apps[0].limits);
  f.hub().set_apps(std::make_shared<const channels::AppDirectory>(std::move(apps)));
}

std::string header(const Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

}  // namespace

TEST_CASE("max_backend_events_per_sec counts channels published to, all or nothing (6)", "[http_api][limits]") {
  ApiFixture f;
  limit_app(f, [](channels::AppLimits& l) { l.max_backend_events_per_sec = 3; });
  const auto client = f.connect();
  f.subscribe(client, "a");

  CHECK(f.post("/apps/1001/events", R"({"name":"e","channels":["a","b"],"data":"1"})").status == 200);
  const Response over = f.post("/apps/1001/events", R"({"name":"e","channels":["a","c"],"data":"2"})");
  CHECK(over.status == 429);
  CHECK(over.body == R"({"error":"Too many requests: max_backend_events_per_sec is 3 for this app","code":429})");
  CHECK(header(over, "Retry-After") == "1");
  CHECK(f.outbox.channel_events_to(client).size() == 1);  // the refused event went nowhere
  CHECK(f.post("/apps/1001/events", R"({"name":"e","channel":"a","data":"3"})").status == 200);  // exactly 3
  CHECK(f.post("/apps/1001/events", R"({"name":"e","channel":"a","data":"4"})").status == 429);

  f.clock.advance_ms(1000);
  const std::string batch = R"({"batch":[{"name":"e","channel":"a","data":"5"},{"name":"e","channel":"a","data":"6"},)"
                            R"({"name":"e","channel":"a","data":"7"},{"name":"e","channel":"a","data":"8"}]})";
  CHECK(f.post("/apps/1001/batch_events", batch).status == 429);  // 4 > 3: none of them
  CHECK(f.outbox.channel_events_to(client).size() == 2);
  CHECK(f.post("/apps/1001/batch_events",
               R"({"batch":[{"name":"e","channel":"a","data":"5"},{"name":"e","channel":"a","data":"6"}]})")
            .status == 200);
  CHECK(f.outbox.channel_events_to(client).size() == 4);

  // Another app has its own (unlimited) budget; reads are not events.
  CHECK(f.get("/apps/1001/channels").status == 200);
}

TEST_CASE("max_read_req_per_sec counts GET requests of the app; others cannot spend it (6)", "[http_api][limits]") {
  ApiFixture f;
  limit_app(f, [](channels::AppLimits& l) { l.max_read_req_per_sec = 2; });
  CHECK(f.get("/apps/1001/channels").status == 200);
  // A request that fails the signature check is not the app's and costs nothing.
  Request forged = f.signed_request_as(kKey, "wrong-secret", "GET", "/apps/1001/channels", "");
  CHECK(f.api.handle(forged).status == 401);
  CHECK(f.get("/apps/1001/channels/orders").status == 200);
  const Response over = f.get("/apps/1001/channels");
  CHECK(over.status == 429);
  CHECK(over.body == R"({"error":"Too many requests: max_read_req_per_sec is 2 for this app","code":429})");
  // Publishing is not a read.
  CHECK(f.post("/apps/1001/events", R"({"name":"e","channel":"a","data":"1"})").status == 200);
  f.clock.advance_ms(999);
  CHECK(f.get("/apps/1001/channels").status == 429);
  f.clock.advance_ms(1);
  CHECK(f.get("/apps/1001/channels").status == 200);
}

TEST_CASE("without limits (-1, the default) nothing is refused", "[http_api][limits]") {
  ApiFixture f;
  for (int i = 0; i < 200; ++i) {
    REQUIRE(f.get("/apps/1001/channels").status == 200);
    REQUIRE(f.post("/apps/1001/events", R"({"name":"e","channel":"a","data":"1"})").status == 200);
  }
}

TEST_CASE("RateLimiter: fixed one-second windows per app", "[http_api][limits]") {
  RateLimiter limiter;
  CHECK(limiter.try_take("a", 5, 5, 0));
  CHECK_FALSE(limiter.try_take("a", 5, 1, 999));
  CHECK(limiter.try_take("b", 5, 5, 999));
  CHECK(limiter.try_take("a", 5, 1, 1000));
  CHECK_FALSE(limiter.try_take("a", 5, 6, 5000));  // more than the whole budget never fits
  CHECK(limiter.try_take("a", -1, 1'000'000, 5000));
}
