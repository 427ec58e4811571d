// http_api/signing: the canonical string to sign, query parsing and the
// signed query an SDK would send (protocol reference 5.2-5.4, checklist 10.8).
#include "http_api/signing.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "crypto/crypto.hpp"
#include "error/errc.hpp"
#include "http_api/test_vectors.hpp"

using namespace pws;
using namespace pws::http_api;
using pws::http_api::test::http_api_vectors;
using pws::http_api::test::str;

namespace {

std::vector<QueryParam> params_of(const boost::json::object& vector) {
  std::vector<QueryParam> params;
  for (const auto& [key, value] : vector.at("query_params").as_object())
    params.push_back({std::string(key), str(value)});
  return params;
}

std::string query_of(const boost::json::object& vector) {
  const auto target = str(vector.at("request_target"));
  return target.substr(target.find('?') + 1);
}

const std::string* value_of(const std::vector<QueryParam>& params, std::string_view key) {
  for (const auto& p : params)
    if (p.key == key) return &p.value;
  return nullptr;
}

}  // namespace

TEST_CASE("every http_api vector reproduces its string to sign and signature (10.8 #109)",
          "[http_api][signing]") {
  const auto vectors = http_api_vectors();
  REQUIRE(vectors.size() >= 8);
  for (const auto& v : vectors) {
    const auto& vector = v.as_object();
    const auto id = str(vector.at("id"));
    const auto secret = str(vector.at("secret"));
    const auto method = str(vector.at("method"));
    const auto path = str(vector.at("path"));
    INFO("vector " << id);

    SECTION("from its query_params: " + id) {
      const auto params = params_of(vector);
      CHECK(string_to_sign(method, path, params) == str(vector.at("string_to_sign")));
      CHECK(sign(secret, method, path, params) == str(vector.at("auth_signature")));
    }
    SECTION("from its request target, auth_signature left out: " + id) {
      auto parsed = parse_query(query_of(vector));
      REQUIRE(parsed.ok());
      CHECK(string_to_sign(method, path, *parsed) == str(vector.at("string_to_sign")));
    }
    SECTION("signed_query produces the request target: " + id) {
      const auto& body = vector.at("body");
      std::vector<QueryParam> extra;
      for (const auto& p : params_of(vector))
        if (!p.key.starts_with("auth_") && p.key != "body_md5") extra.push_back(p);
      const auto& stamp = vector.at("query_params").at("auth_timestamp").as_string();
      const std::int64_t timestamp = std::stoll(std::string(stamp));
      CHECK(signed_query(str(vector.at("key")), secret, method, path,
                         body.is_string() ? str(body) : std::string(), timestamp,
                         extra) == query_of(vector));
    }
  }
}

TEST_CASE("the Pusher docs example signs to the documented signature (10.8 #108)",
          "[http_api][signing]") {
  const std::vector<QueryParam> params{{"auth_key", "278d425bdf160c739803"},
                                       {"auth_timestamp", "1353088179"},
                                       {"auth_version", "1.0"},
                                       {"body_md5", "ec365a775a4cd0599faeb73354201b6f"}};
  CHECK(sign("7ad3773142a6692b25b8", "POST", "/apps/3/events", params) ==
        "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c");
}

TEST_CASE("parse_query percent-decodes keys and values but keeps '+' (10.8 #115)",
          "[http_api][signing]") {
  auto parsed = parse_query("info=user_count%2Csubscription_count&name=a+b&k%65y=%41");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 3);
  CHECK(*value_of(*parsed, "info") == "user_count,subscription_count");
  CHECK(*value_of(*parsed, "name") == "a+b");
  CHECK(*value_of(*parsed, "key") == "A");

  SECTION("form reading turns '+' into a space") {
    auto spaced = parse_query("name=a+b&other=%2B", PlusSign::AsSpace);
    REQUIRE(spaced.ok());
    CHECK(*value_of(*spaced, "name") == "a b");
    CHECK(*value_of(*spaced, "other") == "+");
  }
}

TEST_CASE("parse_query keeps invalid escapes, empty pieces and bare keys sensibly",
          "[http_api][signing]") {
  auto parsed = parse_query("a=%zz&&b=%4&flag&c=");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->size() == 4);
  CHECK(*value_of(*parsed, "a") == "%zz");
  CHECK(*value_of(*parsed, "b") == "%4");
  CHECK(*value_of(*parsed, "flag") == "");
  CHECK(*value_of(*parsed, "c") == "");
  CHECK(parse_query("")->empty());
}

TEST_CASE("upper-case query keys are kept when parsed and lower-cased for signing (10.8 #116)",
          "[http_api][signing]") {
  auto parsed = parse_query("AUTH_KEY=pws-key&Info=x&auth_timestamp=1");
  REQUIRE(parsed.ok());
  CHECK((*parsed)[0].key == "AUTH_KEY");
  CHECK(string_to_sign("get", "/apps/1/channels", *parsed) ==
        "GET\n/apps/1/channels\nauth_key=pws-key&auth_timestamp=1&info=x");
}

TEST_CASE("array-style query keys are folded into one comma-joined value", "[http_api][signing]") {
  SECTION("k[]") {
    auto parsed = parse_query("channels[]=a&x=1&channels[]=b");
    REQUIRE(parsed.ok());
    REQUIRE(parsed->size() == 2);
    CHECK((*parsed)[0].key == "channels");
    CHECK((*parsed)[0].value == "a,b");
  }
  SECTION("k[0] percent-encoded as PHP sends it") {
    auto parsed = parse_query("channels%5B0%5D=a&channels%5B1%5D=b&channels%5B2%5D=c");
    REQUIRE(parsed.ok());
    REQUIRE(parsed->size() == 1);
    CHECK((*parsed)[0].value == "a,b,c");
  }
  SECTION("a non-numeric index is an ordinary key") {
    auto parsed = parse_query("k[x]=1&k[y]=2");
    REQUIRE(parsed.ok());
    CHECK(parsed->size() == 2);
  }
}

TEST_CASE("a plain query key repeated is a bad request", "[http_api][signing]") {
  for (const char* query : {"a=1&a=2", "a=1&A=2", "a=1&a[]=2", "a[]=1&a=2"}) {
    INFO(query);
    auto parsed = parse_query(query);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == Errc::BadRequest);
  }
}

TEST_CASE("string_to_sign sorts keys bytewise, leaves auth_signature out and does not escape",
          "[http_api][signing]") {
  const std::vector<QueryParam> params{{"b", "2"},
                                       {"auth_signature", "zzz"},
                                       {"a_b", "x y,z"},
                                       {"a", "1"}};
  CHECK(string_to_sign("POST", "/apps/1/events", params) ==
        "POST\n/apps/1/events\na=1&a_b=x y,z&b=2");
  CHECK(string_to_sign("GET", "/apps/1/channels", {}) == "GET\n/apps/1/channels\n");
}

TEST_CASE("percent_encode escapes everything but unreserved characters", "[http_api][signing]") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("user_count,subscription_count") == "user_count%2Csubscription_count");
  CHECK(percent_encode("a b+#/\xc3\xa9") == "a%20b%2B%23%2F%C3%A9");
  CHECK(percent_decode(percent_encode("a b+#/\xc3\xa9")) == "a b+#/\xc3\xa9");
}

TEST_CASE("a signed_query round trip verifies against the signature it carries",
          "[http_api][signing]") {
  const std::string body = R"({"name":"e","data":"{}","channel":"orders"})";
  const auto query = signed_query("pws-key", "pws-secret", "POST", "/apps/1001/events", body,
                                  1700000000, {{"info", "a b,c+d"}});
  auto parsed = parse_query(query);
  REQUIRE(parsed.ok());
  CHECK(*value_of(*parsed, "auth_key") == "pws-key");
  CHECK(*value_of(*parsed, "auth_timestamp") == "1700000000");
  CHECK(*value_of(*parsed, "auth_version") == "1.0");
  CHECK(*value_of(*parsed, "body_md5") == crypto::md5_hex(body));
  CHECK(*value_of(*parsed, "info") == "a b,c+d");
  CHECK(sign("pws-secret", "POST", "/apps/1001/events", *parsed) ==
        *value_of(*parsed, "auth_signature"));

  SECTION("no body_md5 without a body") {
    auto get = parse_query(signed_query("k", "s", "GET", "/apps/1/channels", "", 1));
    REQUIRE(get.ok());
    CHECK(value_of(*get, "body_md5") == nullptr);
  }
}
