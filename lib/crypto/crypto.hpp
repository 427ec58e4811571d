// Hashes, HMAC, constant-time comparison and randomness over OpenSSL.
// Everything that signs or verifies in pws goes through here.
// Depends on OpenSSL only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pws::crypto {

/// Lower-case hex HMAC-SHA256 of `message` keyed with `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// Lower-case hex MD5 of `data` (the Pusher HTTP API's body_md5).
std::string md5_hex(std::string_view data);

/// Raw SHA-256 digest (32 bytes).
std::string sha256(std::string_view data);

/// True when a and b are equal; the time taken does not depend on where they differ.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

/// True when two secrets of any length are equal; neither where they differ
/// nor the length of the expected one shows in the time taken (both are
/// hashed first, then the digests compared in constant time).
bool secrets_equal(std::string_view given, std::string_view expected);

/// `count` bytes from OpenSSL's CSPRNG. Throws std::runtime_error if it fails.
std::string random_bytes(std::size_t count);

/// `count` random bytes written as lower-case hex (2*count characters).
std::string random_hex(std::size_t count);

/// A uniformly random integer in [lo, hi] from the CSPRNG.
std::uint64_t random_between(std::uint64_t lo, std::uint64_t hi);

std::string to_hex(std::string_view bytes);

}  // namespace pws::crypto
