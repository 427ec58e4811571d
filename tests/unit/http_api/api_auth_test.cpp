// http_api::Api authentication, routing and the order of checks
// (protocol reference 5.1, 5.3; checklist 10.8 #108-#120).
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "http_api/api_fixture.hpp"
#include "http_api/test_vectors.hpp"

using namespace pws;
using namespace pws::http_api;
using namespace pws::http_api::test;

namespace {

const std::string kChannelsPath = "/apps/1001/channels";

/// The error object of a non-2xx response.
boost::json::object error_body(const Response& r) {
  boost::json::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.get_object();
}

std::string error_text(const Response& r) { return str(error_body(r).at("error")); }

Request request_with_query(std::string method, std::string path, std::string query,
                           std::string body = {}) {
  return Request{std::move(method), std::move(path), std::move(query), std::move(body)};
}

}  // namespace

TEST_CASE("the Pusher documentation trigger is accepted at its timestamp (10.8 #108)",
          "[http_api][auth]") {
  ApiFixture f;
  f.clock.set_unix_seconds(1353088179);
  auto r = f.api.handle(request_with_query(
      "POST", "/apps/3/events",
      "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5="
      "ec365a775a4cd0599faeb73354201b6f&auth_signature="
      "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c",
      R"({"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"})"));
  CHECK(r.status == 200);
  CHECK(r.body == "{}");
}

TEST_CASE("every http_api vector verifies when the clock equals its timestamp (10.8 #109)",
          "[http_api][auth]") {
  for (const auto& v : http_api_vectors()) {
    const auto& vector = v.as_object();
    INFO("vector " << str(vector.at("id")));
    ApiFixture f;
    f.clock.set_unix_seconds(
        std::stoll(str(vector.at("query_params").at("auth_timestamp"))));
    const auto target = str(vector.at("request_target"));
    const auto q = target.find('?');
    const auto& body = vector.at("body");
    auto r = f.api.handle(request_with_query(str(vector.at("method")), target.substr(0, q),
                                             target.substr(q + 1),
                                             body.is_string() ? str(body) : std::string()));
    CHECK(r.body.find("\"code\":401") == std::string::npos);
    CHECK(r.status == 200);
  }
}

TEST_CASE("auth_timestamp must be within 600 s of the server clock (10.8 #110)",
          "[http_api][auth]") {
  ApiFixture f;
  const auto now = f.clock.unix_seconds();
  auto at = [&](std::int64_t ts) {
    return f.api.handle(request_with_query(
        "GET", kChannelsPath, signed_query(kKey, kSecret, "GET", kChannelsPath, "", ts)));
  };
  CHECK(at(now - 599).status == 200);
  CHECK(at(now + 599).status == 200);
  CHECK(at(now - 600).status == 200);
  auto past = at(now - 601);
  CHECK(past.status == 401);
  CHECK(error_text(past).starts_with("Timestamp expired: Given timestamp (2023-11-14T22:03:19Z)"));
  CHECK(at(now + 601).status == 401);

  SECTION("the window is configurable") {
    ApiFixture narrow(ApiSettings{"", 10});
    auto r = narrow.api.handle(request_with_query(
        "GET", kChannelsPath, signed_query(kKey, kSecret, "GET", kChannelsPath, "", now - 11)));
    CHECK(r.status == 401);
  }
  SECTION("a timestamp that is not an integer is rejected") {
    auto query = signed_query(kKey, kSecret, "GET", kChannelsPath, "", now);
    const auto pos = query.find(std::to_string(now));
    query.replace(pos, std::to_string(now).size(), "17e8");
    CHECK(f.api.handle(request_with_query("GET", kChannelsPath, query)).status == 401);
  }
}

TEST_CASE("a wrong auth_signature is rejected without revealing the expected one (10.8 #111)",
          "[http_api][auth]") {
  ApiFixture f;
  auto request = f.signed_request("GET", kChannelsPath);
  const auto expected = request.query.substr(request.query.size() - 64);
  request.query.back() = request.query.back() == '0' ? '1' : '0';
  auto r = f.api.handle(request);
  CHECK(r.status == 401);
  CHECK(error_text(r) == "Invalid signature");
  CHECK(r.body.find(expected) == std::string::npos);
  CHECK(r.body.find(kSecret) == std::string::npos);

  SECTION("a request signed with another secret fails too") {
    auto other = f.signed_request_as(kKey, "not-the-secret", "GET", kChannelsPath, "");
    CHECK(f.api.handle(other).status == 401);
  }
  SECTION("a request signed for another path fails") {
    auto moved = f.signed_request("GET", "/apps/1001/channels/orders");
    moved.path = "/apps/1001/channels/orders2";
    CHECK(f.api.handle(moved).status == 401);
  }
}

TEST_CASE("an auth_key other than the app's key is rejected (10.8 #112)", "[http_api][auth]") {
  ApiFixture f;
  auto r = f.api.handle(f.signed_request_as("other-key", kSecret, "GET", kChannelsPath, ""));
  CHECK(r.status == 401);
  CHECK(error_text(r).find("auth_key") != std::string::npos);
}

TEST_CASE("a body that differs from the one hashed in body_md5 is rejected (10.8 #113)",
          "[http_api][auth]") {
  ApiFixture f;
  auto request = f.signed_request("POST", "/apps/1001/events",
                                  R"({"name":"e","data":"{}","channel":"orders"})");
  request.body = R"({"name":"e","data":"{}","channel":"orderz"})";
  auto r = f.api.handle(request);
  CHECK(r.status == 401);
  CHECK(error_text(r).starts_with("body_md5 mismatch"));
  CHECK(f.hub().counters(kAppId).api_messages == 0);
}

TEST_CASE("a POST with a body and no body_md5 is rejected (10.8 #114)", "[http_api][auth]") {
  ApiFixture f;
  auto request = f.signed_request("POST", "/apps/1001/events", "");
  request.body = R"({"name":"e","data":"{}","channel":"orders"})";
  auto r = f.api.handle(request);
  CHECK(r.status == 401);
  CHECK(error_text(r).find("body_md5") != std::string::npos);

  SECTION("an empty body with a body_md5 is only signed, not checked") {
    auto query = signed_query(kKey, kSecret, "GET", kChannelsPath, "", f.clock.unix_seconds(),
                              {{"body_md5", "0123"}});
    CHECK(f.api.handle(request_with_query("GET", kChannelsPath, query)).status == 200);
  }
}

TEST_CASE("percent-encoded query values verify against the unescaped string (10.8 #115)",
          "[http_api][auth]") {
  ApiFixture f;
  const std::string path = "/apps/1001/channels/presence-room-1";
  const auto signature =
      sign(kSecret, "GET", path,
           {{"auth_key", "pws-key"},
            {"auth_timestamp", "1700000000"},
            {"auth_version", "1.0"},
            {"info", "user_count,subscription_count"}});
  auto r = f.api.handle(request_with_query(
      "GET", path,
      "auth_key=pws-key&auth_timestamp=1700000000&auth_version=1.0&info=user_count%2C"
      "subscription_count&auth_signature=" +
          signature));
  CHECK(r.status == 200);
  CHECK(r.body == R"({"occupied":false,"user_count":0,"subscription_count":0})");
}

TEST_CASE("upper-case query keys are lower-cased before signing (10.8 #116)", "[http_api][auth]") {
  ApiFixture f;
  const auto signature = sign(kSecret, "GET", kChannelsPath,
                              {{"auth_key", "pws-key"},
                               {"auth_timestamp", "1700000000"},
                               {"auth_version", "1.0"},
                               {"filter_by_prefix", "presence-"}});
  auto r = f.api.handle(request_with_query(
      "GET", kChannelsPath,
      "AUTH_KEY=pws-key&Auth_Timestamp=1700000000&AUTH_VERSION=1.0&FILTER_BY_PREFIX=presence-&"
      "AUTH_SIGNATURE=" +
          signature));
  CHECK(r.status == 200);
}

TEST_CASE("with a path prefix, requests signed over /apps/... are accepted under it (10.8 #117)",
          "[http_api][auth]") {
  ApiFixture f(ApiSettings{"/pws/", 600});
  auto signed_over = [&](const std::string& signed_path, const std::string& sent_path) {
    return f.api.handle(request_with_query(
        "GET", sent_path,
        signed_query(kKey, kSecret, "GET", signed_path, "", f.clock.unix_seconds())));
  };
  CHECK(signed_over("/apps/1001/channels", "/pws/apps/1001/channels").status == 200);
  SECTION("a signature over the full path is accepted too") {
    CHECK(signed_over("/pws/apps/1001/channels", "/pws/apps/1001/channels").status == 200);
  }
  SECTION("API routes outside the prefix are not found") {
    CHECK(signed_over("/apps/1001/channels", "/apps/1001/channels").status == 404);
    CHECK(signed_over("/apps/1001/channels", "/pwsx/apps/1001/channels").status == 404);
  }
  SECTION("health routes answer with and without the prefix") {
    for (const char* path : {"/up", "/pws/up", "/ready", "/pws/ready", "/", "/pws", "/pws/"}) {
      INFO(path);
      auto r = f.api.handle(Request{"GET", path, "", ""});
      CHECK(r.status == 200);
      CHECK(r.body == "OK");
    }
  }
}

TEST_CASE("a signature over the raw percent-encoded path is accepted as a fallback",
          "[http_api][auth]") {
  ApiFixture f;
  const std::string raw = "/apps/1001/channels/%23server-to-user-1";
  auto decoded_signed = f.api.handle(request_with_query(
      "GET", raw,
      signed_query(kKey, kSecret, "GET", "/apps/1001/channels/#server-to-user-1", "",
                   f.clock.unix_seconds())));
  CHECK(decoded_signed.status == 200);
  auto raw_signed = f.api.handle(request_with_query(
      "GET", raw, signed_query(kKey, kSecret, "GET", raw, "", f.clock.unix_seconds())));
  CHECK(raw_signed.status == 200);
  CHECK(raw_signed.body == R"({"occupied":false})");
}

TEST_CASE("'+' in a query value verifies as '+' and, failing that, as a space",
          "[http_api][auth]") {
  ApiFixture f;
  auto with_value = [&](const std::string& signed_value) {
    const auto signature = sign(kSecret, "GET", kChannelsPath,
                                {{"auth_key", "pws-key"},
                                 {"auth_timestamp", "1700000000"},
                                 {"filter_by_prefix", signed_value}});
    return f.api.handle(request_with_query(
        "GET", kChannelsPath,
        "auth_key=pws-key&auth_timestamp=1700000000&filter_by_prefix=a+b&auth_signature=" +
            signature));
  };
  CHECK(with_value("a+b").status == 200);
  CHECK(with_value("a b").status == 200);
  CHECK(with_value("a%20b").status == 401);
}

TEST_CASE("missing auth parameters and unknown auth versions are rejected with 401",
          "[http_api][auth]") {
  ApiFixture f;
  const auto ts = std::to_string(f.clock.unix_seconds());
  const auto full = f.signed_request("GET", kChannelsPath).query;
  for (const char* key : {"auth_key", "auth_timestamp", "auth_signature"}) {
    INFO(key);
    // Drop one parameter from the signed query.
    std::string query;
    auto parsed = parse_query(full);
    REQUIRE(parsed.ok());
    for (const auto& p : *parsed)
      if (p.key != key) query += (query.empty() ? "" : "&") + p.key + "=" + p.value;
    auto r = f.api.handle(request_with_query("GET", kChannelsPath, query));
    CHECK(r.status == 401);
    CHECK(error_text(r) == "Missing " + std::string(key) + " parameter");
  }
  SECTION("auth_version 2.0") {
    const auto sig = sign(kSecret, "GET", kChannelsPath,
                          {{"auth_key", "pws-key"}, {"auth_timestamp", ts}, {"auth_version", "2.0"}});
    auto r = f.api.handle(request_with_query(
        "GET", kChannelsPath,
        "auth_key=pws-key&auth_timestamp=" + ts + "&auth_version=2.0&auth_signature=" + sig));
    CHECK(r.status == 401);
  }
  SECTION("no auth_version at all is tolerated") {
    const auto sig =
        sign(kSecret, "GET", kChannelsPath, {{"auth_key", "pws-key"}, {"auth_timestamp", ts}});
    auto r = f.api.handle(request_with_query(
        "GET", kChannelsPath, "auth_key=pws-key&auth_timestamp=" + ts + "&auth_signature=" + sig));
    CHECK(r.status == 200);
  }
}

TEST_CASE("a query with a repeated key is a bad request", "[http_api][auth]") {
  ApiFixture f;
  auto request = f.signed_request("GET", kChannelsPath);
  request.query += "&auth_key=pws-key";
  CHECK(f.api.handle(request).status == 400);
}

TEST_CASE("an unknown app id is 404 before any signature check (10.8 #118)", "[http_api][auth]") {
  ApiFixture f;
  auto r = f.api.handle(Request{"GET", "/apps/9999/channels", "", ""});
  CHECK(r.status == 404);
  CHECK(error_text(r) == "Unknown app id");
}

TEST_CASE("a disabled app answers 403 to authenticated requests only (10.8 #119)",
          "[http_api][auth]") {
  ApiFixture f;
  auto r = f.api.handle(
      f.signed_request_as("off-key", "off-secret", "GET", "/apps/1002/channels", ""));
  CHECK(r.status == 403);
  auto unsigned_request = f.api.handle(Request{"GET", "/apps/1002/channels", "", ""});
  CHECK(unsigned_request.status == 401);
}

TEST_CASE("error responses are JSON objects with error and code (10.8 #120)", "[http_api][auth]") {
  ApiFixture f;
  const Response responses[] = {
      f.api.handle(Request{"GET", "/apps/1001/channels", "", ""}),
      f.api.handle(Request{"GET", "/apps/9999/channels", "", ""}),
      f.api.handle(Request{"GET", "/nowhere", "", ""}),
      f.post("/apps/1001/events", "not json"),
  };
  for (const auto& r : responses) {
    INFO(r.body);
    CHECK(r.content_type == "application/json");
    auto body = error_body(r);
    CHECK(body.at("error").is_string());
    CHECK(body.at("code").as_int64() == r.status);
  }
}

TEST_CASE("a known route with the wrong method is 405, an unknown route 404",
          "[http_api][routes]") {
  ApiFixture f;
  auto r = f.api.handle(f.signed_request("GET", "/apps/1001/events"));
  CHECK(r.status == 405);
  REQUIRE(r.headers.size() == 1);
  CHECK(r.headers[0] == std::pair<std::string, std::string>{"Allow", "POST"});
  CHECK(f.api.handle(Request{"POST", "/up", "", ""}).status == 405);
  CHECK(f.api.handle(Request{"DELETE", "/apps/1001/channels", "", ""}).status == 405);
  CHECK(f.api.handle(f.signed_request("GET", "/apps/1001/nothing")).status == 404);
  CHECK(f.api.handle(Request{"GET", "/apps/1001/channels/x/stats", "", ""}).status == 404);
}

TEST_CASE("health routes answer OK in plain text and /ready 503 while draining",
          "[http_api][routes]") {
  ApiFixture f;
  for (const char* path : {"/", "/up", "/ready"}) {
    INFO(path);
    auto r = f.api.handle(Request{"GET", path, "", ""});
    CHECK(r.status == 200);
    CHECK(r.body == "OK");
    CHECK(r.content_type == "text/plain");
  }
  CHECK(f.api.handle(Request{"HEAD", "/up", "", ""}).status == 200);
  f.api.set_draining(true);
  CHECK(f.api.handle(Request{"GET", "/ready", "", ""}).status == 503);
  CHECK(f.api.handle(Request{"GET", "/up", "", ""}).status == 200);
  f.api.set_draining(false);
  CHECK(f.api.handle(Request{"GET", "/ready", "", ""}).status == 200);
}
