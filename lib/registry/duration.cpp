// parse_duration: the one reader of "60d"-style durations, shared by the
// config ([statistics] retention) and the CLI (--older-than, --since), so the
// units mean the same everywhere.
#include <charconv>
#include <limits>

#include "registry/config.hpp"

namespace pws::registry {

Result<std::int64_t> parse_duration(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return make_error(Errc::InvalidConfig,
                      "invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                          " (use a whole number and a unit: s, m, h, d or w, e.g. 60d)");
  };
  if (text.empty()) return invalid("empty");
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default:
      // A bare number is refused rather than guessed: laravel-websockets
      // counts days, most tools seconds.
      return invalid(text.back() >= '0' && text.back() <= '9' ? "missing unit" : "unknown unit");
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  std::int64_t count = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), count);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return invalid("not a whole number");
  if (count <= 0) return invalid("must be positive");
  if (count > std::numeric_limits<std::int64_t>::max() / unit / 1000) return invalid("too long");
  return count * unit;
}

}  // namespace pws::registry
