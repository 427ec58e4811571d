// Pusher HTTP API request signing (../shared/docs/pusher-protocol.md 5.2,
// 5.3): query parsing, percent coding and the canonical string to sign.
// Pure: depends on crypto for the HMAC and MD5 only.
#include "http_api/signing.hpp"

#include <algorithm>
#include <unordered_map>

#include "crypto/crypto.hpp"

namespace pws::http_api {

namespace {

constexpr std::string_view kSignatureKey = "auth_signature";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

/// "k[]" or "k[12]" -> "k"; anything else -> empty (not an array key).
std::string_view array_base(std::string_view key) noexcept {
  if (key.size() < 3 || key.back() != ']') return {};
  const auto open = key.rfind('[');
  if (open == std::string_view::npos || open == 0) return {};
  const auto index = key.substr(open + 1, key.size() - open - 2);
  if (!std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return {};
  return key.substr(0, open);
}

}  // namespace

std::string percent_decode(std::string_view text, PlusSign plus) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(c == '+' && plus == PlusSign::AsSpace ? ' ' : c);
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

Result<std::vector<QueryParam>> parse_query(std::string_view raw_query, PlusSign plus) {
  struct Seen {
    std::size_t index;
    bool array;
  };
  std::vector<QueryParam> params;
  // Keyed by the lower-cased key: signing lower-cases keys, so `A=1&a=2`
  // would give two identical entries in the string to sign.
  std::unordered_map<std::string, Seen> seen;

  std::size_t start = 0;
  while (start <= raw_query.size()) {
    auto end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    const auto piece = raw_query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;

    const auto eq = piece.find('=');
    std::string key = percent_decode(piece.substr(0, eq), plus);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(piece.substr(eq + 1), plus);

    // PHP clients send arrays as k[]=a&k[]=b (or k[0]=a&k[1]=b) and sign them
    // as k=a,b (pusher-http-php array_implode), so fold them the same way.
    const auto base = array_base(key);
    const bool is_array = !base.empty();
    if (is_array) key = std::string(base);

    auto [it, inserted] = seen.try_emplace(to_lower(key), Seen{params.size(), is_array});
    if (inserted) {
      params.push_back(QueryParam{std::move(key), std::move(value)});
      continue;
    }
    if (!is_array || !it->second.array)
      return make_error(Errc::BadRequest, "Query parameter repeated: " + key);
    auto& folded = params[it->second.index].value;
    folded.push_back(',');
    folded.append(value);
  }
  return params;
}

std::string string_to_sign(std::string_view method, std::string_view path,
                           const std::vector<QueryParam>& params) {
  std::vector<std::pair<std::string, std::string_view>> sorted;
  sorted.reserve(params.size());
  for (const auto& p : params) {
    auto key = to_lower(p.key);
    if (key == kSignatureKey) continue;
    sorted.emplace_back(std::move(key), p.value);
  }
  // Byte order of the lower-cased keys (std::string compares as unsigned char).
  std::sort(sorted.begin(), sorted.end());

  std::string out;
  for (char c : method) out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  out.push_back('\n');
  out.append(path);
  out.push_back('\n');
  bool first = true;
  for (const auto& [key, value] : sorted) {
    if (!first) out.push_back('&');
    first = false;
    out.append(key);
    out.push_back('=');
    out.append(value);
  }
  return out;
}

std::string sign(std::string_view secret, std::string_view method, std::string_view path,
                 const std::vector<QueryParam>& params) {
  return crypto::hmac_sha256_hex(secret, string_to_sign(method, path, params));
}

std::string signed_query(std::string_view key, std::string_view secret, std::string_view method,
                         std::string_view path, std::string_view body, std::int64_t timestamp,
                         std::vector<QueryParam> params) {
  // Same parameters as pusher-http-node's createSignedQueryString; values are
  // percent-encoded on the wire and signed unescaped.
  params.push_back({"auth_key", std::string(key)});
  params.push_back({"auth_timestamp", std::to_string(timestamp)});
  params.push_back({"auth_version", "1.0"});
  if (!body.empty()) params.push_back({"body_md5", crypto::md5_hex(body)});
  const auto signature = sign(secret, method, path, params);

  std::stable_sort(params.begin(), params.end(), [](const QueryParam& a, const QueryParam& b) {
    return to_lower(a.key) < to_lower(b.key);
  });
  std::string out;
  for (const auto& p : params) {
    out.append(percent_encode(p.key));
    out.push_back('=');
    out.append(percent_encode(p.value));
    out.push_back('&');
  }
  out.append(kSignatureKey);
  out.push_back('=');
  out.append(signature);
  return out;
}

}  // namespace pws::http_api
