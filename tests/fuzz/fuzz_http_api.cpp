// libFuzzer target: the HTTP API (routing, query parsing, signature check,
// JSON bodies, every route handler) over a real hub with subscribers. Input:
// a flags byte, then method, path, query and body separated by '\n'. With
// flag bit 0 the request is signed correctly for the fuzzed method, path,
// parameters and body, so the fuzzer reaches the handlers and not only the
// 401 path.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "http_api/api.hpp"
#include "http_api/signing.hpp"

#include "fuzz_support.hpp"

namespace {

using namespace pws;
using namespace pws::channels;

using fuzz::RecordingOutbox;

App fuzz_app() {
  App app;
  app.id = "1";
  app.key = "key";
  app.secret = "secret";
  app.limits.max_backend_events_per_sec = 50;
  app.limits.max_read_req_per_sec = 50;
  return app;
}

std::string_view next_field(std::string_view& input) {
  const auto end = input.find('\n');
  const std::string_view field = input.substr(0, end);
  input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
  return field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  RecordingOutbox outbox;
  ManualClock clock;
  Hub hub(outbox, clock, HubSettings{}, std::make_shared<const AppDirectory>(std::vector<App>{fuzz_app()}));
  if (hub.open(1, OpenRequest{"key", "7", "", false})) {
    hub.receive(1, R"({"event":"pusher:subscribe","data":{"channel":"orders"}})");
    hub.receive(1, R"({"event":"pusher:subscribe","data":{"channel":"cache-x"}})");
  }
  http_api::ApiSettings settings;
  settings.path_prefix = (data[0] & 2) ? "/ws" : "";
  http_api::Api api(hub, clock, settings);

  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  http_api::Request request;
  request.method = std::string(next_field(input));
  request.path = std::string(next_field(input));
  request.query = std::string(next_field(input));
  request.body = std::string(input);
  request.from_loopback = (data[0] & 4) != 0;
  if (data[0] & 1) {
    auto params = http_api::parse_query(request.query);
    if (params) {
      std::vector<http_api::QueryParam> unsigned_params;
      for (auto& p : *params)
        if (!p.key.starts_with("auth_") && p.key != "body_md5") unsigned_params.push_back(std::move(p));
      request.query = http_api::signed_query("key", "secret", request.method, request.path, request.body,
                                             clock.unix_seconds(), std::move(unsigned_params));
    }
  }
  api.handle(request);
  return 0;
}
