#include "crypto/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace pws::crypto {

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = digits[b >> 4];
    out[2 * i + 1] = digits[b & 0x0f];
  }
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
            &length))
    throw std::runtime_error("HMAC-SHA256 failed");
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest), length));
}

static std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &length, md, nullptr))
    throw std::runtime_error("digest failed");
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string md5_hex(std::string_view data) { return to_hex(digest(EVP_md5(), data)); }

std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  // The lengths of signatures are public (64 hex characters), so an early
  // return on a length mismatch leaks nothing secret.
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool secrets_equal(std::string_view given, std::string_view expected) {
  return constant_time_equal(sha256(given), sha256(expected));
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
    throw std::runtime_error("the random number generator failed");
  return out;
}

std::string random_hex(std::size_t count) { return to_hex(random_bytes(count)); }

std::uint64_t random_between(std::uint64_t lo, std::uint64_t hi) {
  const std::uint64_t span = hi - lo + 1;
  // Rejection sampling removes the modulo bias.
  const std::uint64_t limit = span == 0 ? 0 : UINT64_MAX - (UINT64_MAX % span);
  for (;;) {
    std::uint64_t r;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1)
      throw std::runtime_error("the random number generator failed");
    if (span == 0) return r;
    if (r < limit) return lo + r % span;
  }
}

}  // namespace pws::crypto
