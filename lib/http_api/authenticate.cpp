// Verifying the signature of an HTTP API request, step by step as in
// ../shared/docs/pusher-protocol.md 5.3. Failure messages say which check
// failed but never echo the secret or the signature we expected.
#include "http_api/authenticate.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>

#include "crypto/crypto.hpp"

namespace pws::http_api {

namespace {

/// "/apps/1/channels/#x" -> "/apps/1/channels/%23x": each segment encoded.
std::string encode_path_segments(std::string_view path) {
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    out += percent_encode(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    out.push_back('/');
    start = slash + 1;
  }
  return out;
}

}  // namespace

namespace {

Error auth_error(std::string message) { return make_error(Errc::AuthFailed, std::move(message)); }

bool equals_ignore_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

/// "2013-09-29T08:46:33Z" like hosted Pusher's message; the bare number when
/// the value is outside years 1970..9999.
std::string format_unix(std::int64_t seconds) {
  if (seconds < 0 || seconds > 253'402'300'799) return std::to_string(seconds);
  using namespace std::chrono;
  const sys_seconds tp{std::chrono::seconds{seconds}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace

const std::string* find_param(const std::vector<QueryParam>& params, std::string_view key) {
  for (const auto& p : params)
    if (equals_ignore_case(p.key, key)) return &p.value;
  return nullptr;
}

Status authenticate(const channels::App& app, const SignedRequest& request,
                    const std::vector<QueryParam>& params, std::int64_t now_unix_seconds,
                    int tolerance_seconds) {
  const auto* key = find_param(params, "auth_key");
  const auto* timestamp = find_param(params, "auth_timestamp");
  const auto* signature = find_param(params, "auth_signature");
  const auto* version = find_param(params, "auth_version");
  if (key == nullptr) return auth_error("Missing auth_key parameter");
  if (timestamp == nullptr) return auth_error("Missing auth_timestamp parameter");
  if (signature == nullptr) return auth_error("Missing auth_signature parameter");
  // auth_version is optional (older SDKs omit it) but only 1.0 exists.
  if (version != nullptr && *version != "1.0")
    return auth_error("Unsupported auth_version (only 1.0 is supported)");
  if (*key != app.key) return auth_error("Invalid auth_key for this app");

  std::int64_t ts = 0;
  const auto* first = timestamp->data();
  const auto* last = first + timestamp->size();
  if (auto [end, ec] = std::from_chars(first, last, ts); ec != std::errc() || end != last)
    return auth_error("Invalid auth_timestamp: not an integer");
  // Distance computed in unsigned arithmetic so extreme values cannot overflow.
  const auto now = now_unix_seconds;
  const std::uint64_t distance =
      ts >= now ? static_cast<std::uint64_t>(ts) - static_cast<std::uint64_t>(now)
                : static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(ts);
  if (tolerance_seconds >= 0 && distance > static_cast<std::uint64_t>(tolerance_seconds))
    return auth_error("Timestamp expired: Given timestamp (" + format_unix(ts) + ") not within " +
                      std::to_string(tolerance_seconds) + "s of server time (" +
                      format_unix(now) + ")");

  // An empty body may still carry a body_md5; it is then just signed like
  // any other parameter (5.3 step 6).
  if (!request.body.empty()) {
    const auto* md5 = find_param(params, "body_md5");
    if (md5 == nullptr) return auth_error("Missing body_md5 parameter for a request with a body");
    if (!equals_ignore_case(*md5, crypto::md5_hex(request.body)))
      return auth_error("body_md5 mismatch: the body is not the one that was hashed");
  }

  // First the decoded path without the prefix; then, because SDKs differ in
  // what they sign, the raw path and the path including the server prefix.
  std::vector<std::string> paths;
  auto add_path = [&paths](std::string path) {
    for (const auto& p : paths)
      if (p == path) return;
    paths.push_back(std::move(path));
  };
  add_path(percent_decode(request.path));
  add_path(std::string(request.path));
  // libwebsockets hands the server an already-decoded path, so the form an
  // SDK sent percent-encoded (e.g. %23 for '#') is rebuilt segment by segment.
  add_path(encode_path_segments(percent_decode(request.path)));
  add_path(std::string(request.full_path));
  add_path(percent_decode(request.full_path));

  // A client that form-encodes spaces sends '+'; pusher-http-node sends '+'
  // unescaped. The decoded-'+' reading is tried only after the literal one.
  std::vector<const std::vector<QueryParam>*> readings{&params};
  Result<std::vector<QueryParam>> spaced = std::vector<QueryParam>{};
  if (request.raw_query.find('+') != std::string_view::npos) {
    spaced = parse_query(request.raw_query, PlusSign::AsSpace);
    if (spaced.ok()) readings.push_back(&spaced.value());
  }

  for (const auto* reading : readings)
    for (const auto& path : paths)
      if (crypto::constant_time_equal(sign(app.secret, request.method, path, *reading),
                                      *signature))
        return Ok{};
  return auth_error("Invalid signature");
}

}  // namespace pws::http_api
