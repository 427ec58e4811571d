// crypto: HMAC-SHA256 against every signature vector of test-vectors.json
// (protocol reference 4.6, 5.4, 7.1), MD5 / SHA-256 known answers,
// constant-time comparison and the CSPRNG helpers.
//
// pws_crypto does not link Boost.JSON, so this one file compiles it in
// header-only form to read the vectors.
#include <boost/json/src.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "crypto/crypto.hpp"

using namespace pws;
namespace json = boost::json;

namespace {

const json::object& vectors() {
  static const json::value doc = [] {
    std::ifstream in(std::string(PWS_TEST_DATA_DIR) + "/test-vectors.json");
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
  }();
  return doc.as_object();
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

TEST_CASE("the test vector file is present and has every section", "[crypto][vectors]") {
  const auto& v = vectors();
  CHECK(v.at("channel_authorization").as_array().size() == 10);
  CHECK(v.at("user_authentication").as_array().size() == 2);
  CHECK(v.at("http_api").as_array().size() >= 1);
  CHECK(v.at("webhooks").as_array().size() >= 1);
}

TEST_CASE("every channel_authorization vector signs socket_id:channel[:channel_data] (4.1, 4.2, 4.6)",
          "[crypto][vectors]") {
  for (const auto& item : vectors().at("channel_authorization").as_array()) {
    const auto& o = item.as_object();
    const std::string id = str(o.at("id"));
    SECTION(id) {
      // The string to sign is built by the formula of 4.1 / 4.2.
      std::string expected_to_sign = str(o.at("socket_id")) + ":" + str(o.at("channel_name"));
      if (!o.at("channel_data").is_null()) expected_to_sign += ":" + str(o.at("channel_data"));
      CHECK(expected_to_sign == str(o.at("string_to_sign")));

      const std::string signature =
          crypto::hmac_sha256_hex(str(o.at("secret")), str(o.at("string_to_sign")));
      CHECK(signature == str(o.at("signature")));
      CHECK(str(o.at("key")) + ":" + signature == str(o.at("auth")));
    }
  }
}

TEST_CASE("every user_authentication vector signs socket_id::user::user_data (4.3)",
          "[crypto][vectors]") {
  for (const auto& item : vectors().at("user_authentication").as_array()) {
    const auto& o = item.as_object();
    SECTION(str(o.at("id"))) {
      CHECK(str(o.at("socket_id")) + "::user::" + str(o.at("user_data")) ==
            str(o.at("string_to_sign")));
      const std::string signature =
          crypto::hmac_sha256_hex(str(o.at("secret")), str(o.at("string_to_sign")));
      CHECK(signature == str(o.at("signature")));
      CHECK(str(o.at("key")) + ":" + signature == str(o.at("auth")));
    }
  }
}

TEST_CASE("body_md5 of every HTTP API vector is the MD5 of its body (5.2)", "[crypto][vectors]") {
  for (const auto& item : vectors().at("http_api").as_array()) {
    const auto& o = item.as_object();
    SECTION(str(o.at("id"))) {
      if (o.at("body").is_null()) {
        // GET requests have no body and sign no body_md5.
        CHECK(o.at("body_md5").is_null());
      } else {
        CHECK(crypto::md5_hex(str(o.at("body"))) == str(o.at("body_md5")));
      }
      CHECK(crypto::hmac_sha256_hex(str(o.at("secret")), str(o.at("string_to_sign"))) ==
            str(o.at("auth_signature")));
    }
  }
}

TEST_CASE("every webhook vector signs the exact body with the secret (7.1)", "[crypto][vectors]") {
  for (const auto& item : vectors().at("webhooks").as_array()) {
    const auto& o = item.as_object();
    SECTION(str(o.at("id"))) {
      CHECK(crypto::hmac_sha256_hex(str(o.at("secret")), str(o.at("body"))) ==
            str(o.at("signature")));
    }
  }
}

TEST_CASE("the docs REST vector from style.md section 8", "[crypto][vectors]") {
  CHECK(crypto::md5_hex(R"({"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"})") ==
        "ec365a775a4cd0599faeb73354201b6f");
  CHECK(crypto::hmac_sha256_hex("7ad3773142a6692b25b8", "1234.1234:private-foobar") ==
        "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
}

TEST_CASE("hmac_sha256_hex matches RFC 4231 and is lower-case hex", "[crypto][hmac]") {
  // RFC 4231 test case 2.
  CHECK(crypto::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Empty key and message (well-known value).
  CHECK(crypto::hmac_sha256_hex("", "") ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  const std::string sig = crypto::hmac_sha256_hex("pws-secret", "1.2:private-x");
  CHECK(sig.size() == 64);
  CHECK(is_lower_hex(sig));
}

TEST_CASE("md5_hex gives the RFC 1321 answers", "[crypto][md5]") {
  CHECK(crypto::md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(crypto::md5_hex("a") == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(crypto::md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(crypto::md5_hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(crypto::md5_hex("The quick brown fox jumps over the lazy dog") ==
        "9e107d9d372bb6826bd81d3542a419d6");
}

TEST_CASE("sha256 is the raw 32-byte digest", "[crypto][sha256]") {
  const std::string d = crypto::sha256("abc");
  CHECK(d.size() == 32);
  CHECK(crypto::to_hex(d) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("the encrypted channel shared secret is SHA-256(channel || master key) (2.16, 4.6 G)",
          "[crypto][sha256][vectors]") {
  const auto& o = vectors().at("encrypted_channels").as_array().at(0).as_object();
  std::string master;  // bytes 0x00..0x1f, the base64 AAECAwQF...Hh8=
  for (int i = 0; i < 32; ++i) master.push_back(static_cast<char>(i));
  CHECK(str(o.at("master_key_base64")) == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  CHECK(crypto::to_hex(crypto::sha256(str(o.at("channel_name")) + master)) ==
        str(o.at("shared_secret_hex")));
}

TEST_CASE("to_hex writes two lower-case digits per byte", "[crypto]") {
  CHECK(crypto::to_hex("") == "");
  CHECK(crypto::to_hex(std::string("\x00\x01\x7f\x80\xff", 5)) == "00017f80ff");
  CHECK(crypto::to_hex("AZ") == "415a");
}

TEST_CASE("constant_time_equal is exact equality", "[crypto]") {
  CHECK(crypto::constant_time_equal("", ""));
  CHECK(crypto::constant_time_equal("abc", "abc"));
  CHECK_FALSE(crypto::constant_time_equal("abc", "abd"));
  CHECK_FALSE(crypto::constant_time_equal("abc", "Abc"));  // case-sensitive (4.4)
  CHECK_FALSE(crypto::constant_time_equal("abc", "abcd"));
  CHECK_FALSE(crypto::constant_time_equal("abcd", "abc"));
  CHECK_FALSE(crypto::constant_time_equal("", "a"));
  // Embedded NULs are compared, not treated as terminators.
  CHECK_FALSE(crypto::constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
  CHECK(crypto::constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  const std::string sig = crypto::hmac_sha256_hex("k", "m");
  std::string upper = sig;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](char c) { return static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c); });
  CHECK_FALSE(crypto::constant_time_equal(sig, upper));
}

TEST_CASE("random_bytes and random_hex have the asked length", "[crypto][random]") {
  CHECK(crypto::random_bytes(0).empty());
  CHECK(crypto::random_bytes(17).size() == 17);
  CHECK(crypto::random_hex(0).empty());
  for (std::size_t n : {1u, 8u, 16u, 32u}) {
    const std::string h = crypto::random_hex(n);
    CHECK(h.size() == 2 * n);
    CHECK(is_lower_hex(h));
  }
  // 128 random bits twice are different.
  CHECK(crypto::random_hex(16) != crypto::random_hex(16));
}

TEST_CASE("random_between stays within its bounds", "[crypto][random]") {
  SECTION("socket id range (1.6)") {
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 2000; ++i) {
      const std::uint64_t r = crypto::random_between(1, 999'999'999);
      CHECK(r >= 1);
      CHECK(r <= 999'999'999);
      seen.insert(r);
    }
    CHECK(seen.size() > 1990);  // collisions out of 1e9 are vanishingly rare
  }
  SECTION("a small range hits both ends") {
    std::set<std::uint64_t> seen;
    for (int i = 0; i < 1000; ++i) {
      const std::uint64_t r = crypto::random_between(5, 8);
      REQUIRE(r >= 5);
      REQUIRE(r <= 8);
      seen.insert(r);
    }
    CHECK(seen == std::set<std::uint64_t>{5, 6, 7, 8});
  }
  SECTION("a single-value range") {
    for (int i = 0; i < 10; ++i) CHECK(crypto::random_between(42, 42) == 42);
  }
  SECTION("the full 64-bit range does not loop forever") {
    const std::uint64_t a = crypto::random_between(0, UINT64_MAX);
    const std::uint64_t b = crypto::random_between(0, UINT64_MAX);
    CHECK(a != b);
  }
}
