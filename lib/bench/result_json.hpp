// ResultJson: the one JSON object a scenario prints on stdout. Keys keep
// their insertion order (so a result reads top-down: setup, traffic,
// latency, server, generator) and numbers are written in fixed notation
// with a chosen precision (Boost.JSON would print 2.5E0). Values that could
// not be measured are null. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pws::bench {

class ResultJson {
 public:
  ResultJson& add(std::string_view key, std::int64_t value);
  ResultJson& add(std::string_view key, std::uint64_t value);
  ResultJson& add(std::string_view key, unsigned value) { return add(key, std::uint64_t(value)); }
  ResultJson& add(std::string_view key, int value) { return add(key, std::int64_t(value)); }
  ResultJson& add(std::string_view key, bool value);
  ResultJson& add(std::string_view key, std::string_view text);
  ResultJson& add(std::string_view key, const char* text) { return add(key, std::string_view(text)); }
  /// A number with `decimals` places; NaN/inf and nullopt become null.
  ResultJson& add(std::string_view key, std::optional<double> value, int decimals);
  /// An integer or null.
  ResultJson& add(std::string_view key, std::optional<std::int64_t> value);
  /// A nested object, already complete.
  ResultJson& add(std::string_view key, const ResultJson& object);

  /// "{...}" (no newline).
  std::string text() const { return body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_ = "{";
};

/// JSON string literal of `text` (quotes included, control characters escaped).
std::string json_string(std::string_view text);

}  // namespace pws::bench
