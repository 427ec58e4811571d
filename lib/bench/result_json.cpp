// The writer of result_json.hpp.
#include "bench/result_json.hpp"

#include <cmath>
#include <cstdio>

namespace pws::bench {

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void ResultJson::key(std::string_view k) {
  if (body_.size() > 1) body_ += ',';
  body_ += json_string(k);
  body_ += ':';
}

ResultJson& ResultJson::add(std::string_view k, std::int64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

ResultJson& ResultJson::add(std::string_view k, std::uint64_t value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

ResultJson& ResultJson::add(std::string_view k, bool value) {
  key(k);
  body_ += value ? "true" : "false";
  return *this;
}

ResultJson& ResultJson::add(std::string_view k, std::string_view text) {
  key(k);
  body_ += json_string(text);
  return *this;
}

ResultJson& ResultJson::add(std::string_view k, std::optional<double> value, int decimals) {
  key(k);
  if (!value || !std::isfinite(*value)) {
    body_ += "null";
    return *this;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, *value);
  body_ += buf;
  return *this;
}

ResultJson& ResultJson::add(std::string_view k, std::optional<std::int64_t> value) {
  key(k);
  body_ += value ? std::to_string(*value) : "null";
  return *this;
}

ResultJson& ResultJson::add(std::string_view k, const ResultJson& object) {
  key(k);
  body_ += object.text();
  return *this;
}

}  // namespace pws::bench
