// The one canonicaliser of Pusher HTTP API signatures (section 5.2/5.3):
// the server verifies with it and the CLI client signs with it, so both
// always agree. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "error/result.hpp"

namespace pws::http_api {

struct QueryParam {
  std::string key;    ///< percent-decoded, case as received
  std::string value;  ///< percent-decoded
};

/// What a literal '+' in a query string means. pusher-http-node does not
/// escape '+', so it is kept by default; form encoding reads it as a space.
enum class PlusSign : unsigned char { Keep, AsSpace };

/// Splits and percent-decodes a raw query string ('+' is kept as '+' unless
/// `plus` says otherwise). Array keys `k[]` / `k[0]` are folded into one key
/// `k` joined by ',' in order of appearance. Empty pieces (`a=1&&b=2`) are
/// skipped; a piece without '=' has an empty value.
/// Errc::BadRequest for a plain key repeated (keys compared case-insensitively,
/// since signing lower-cases them) or a key both plain and array-style.
Result<std::vector<QueryParam>> parse_query(std::string_view raw_query,
                                            PlusSign plus = PlusSign::Keep);

/// Percent-decodes `text` ('+' kept by default); invalid escapes are kept literally.
std::string percent_decode(std::string_view text, PlusSign plus = PlusSign::Keep);

/// Percent-encodes everything outside RFC 3986 unreserved characters.
std::string percent_encode(std::string_view text);

/// "<METHOD>\n<path>\n<k=v&...>" with keys lower-cased and sorted, values
/// unescaped, auth_signature left out.
std::string string_to_sign(std::string_view method, std::string_view path,
                           const std::vector<QueryParam>& params);

/// Hex HMAC-SHA256 of string_to_sign with `secret`.
std::string sign(std::string_view secret, std::string_view method, std::string_view path,
                 const std::vector<QueryParam>& params);

/// The full signed query string an SDK would send: `params` plus auth_key,
/// auth_timestamp, auth_version=1.0, body_md5 (when body is non-empty) and
/// auth_signature, percent-encoded. Used by the CLI client and tests.
std::string signed_query(std::string_view key, std::string_view secret, std::string_view method,
                         std::string_view path, std::string_view body, std::int64_t timestamp,
                         std::vector<QueryParam> params = {});

}  // namespace pws::http_api
