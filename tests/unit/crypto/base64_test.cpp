// base64 (RFC 4648 section 10 test vectors) and secrets_equal.
#include <catch2/catch.hpp>

#include "crypto/base64.hpp"
#include "crypto/crypto.hpp"

using namespace pws::crypto;

TEST_CASE("base64 encodes and decodes the RFC 4648 test vectors", "[crypto]") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},    {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == std::optional<std::string>(plain));
  }
  const std::string binary("\x00\xff\xfe\x10\x80", 5);
  CHECK(base64_decode(base64_encode(binary)) == binary);
}

TEST_CASE("base64_decode refuses anything but canonical padded base64", "[crypto]") {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!A==", "Zm=v", "=Zm9", "Zm9v\n", "Zg==Zg==", " Zg="})
    CHECK_FALSE(base64_decode(bad).has_value());
}

TEST_CASE("secrets_equal compares secrets of any length", "[crypto]") {
  CHECK(secrets_equal("token-1234", "token-1234"));
  CHECK_FALSE(secrets_equal("token-1234", "token-1235"));
  CHECK_FALSE(secrets_equal("token", "token-1234"));
  CHECK_FALSE(secrets_equal("", "x"));
  CHECK(secrets_equal("", ""));
}
