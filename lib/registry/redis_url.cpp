// parse_redis_url: the [redis] url of the config, in the form every Redis
// client accepts (redis://[[user]:password@]host[:port][/db]).
#include <charconv>

#include "registry/config.hpp"

namespace pws::registry {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Percent-decoding of the userinfo part; nullopt on a broken escape.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex_digit(text[i + 1]);
    const int low = hex_digit(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

bool parse_int(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

Status invalid(std::string_view why) {
  return make_error(Errc::InvalidConfig, "redis url: " + std::string(why) +
                                             " (expected redis://[[user]:password@]host[:port][/db])");
}

}  // namespace

Status parse_redis_url(std::string_view url, RedisConfig& redis) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) return invalid("TLS (rediss://) is not supported by Debian 12's hiredis");
  if (!url.starts_with(kScheme)) return invalid("must start with redis://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find_first_of(" \t\r\n") != std::string_view::npos) return invalid("must not contain spaces");

  std::string username, password;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    const auto user = percent_decode(userinfo.substr(0, colon));
    const auto pass = colon == std::string_view::npos ? std::optional<std::string>("")
                                                      : percent_decode(userinfo.substr(colon + 1));
    if (!user || !pass) return invalid("broken %-escape in the user or password");
    if (colon == std::string_view::npos) {
      // redis://secret@host: many clients take a lone userinfo as the password.
      password = *user;
    } else {
      username = *user;
      password = *pass;
    }
  }

  int database = 0;
  if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && (!parse_int(db, database) || database < 0)) return invalid("the database must be a number");
  }

  std::string_view host = rest;
  int port = 6379;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return invalid("unclosed [ in the host");
    const std::string_view after = host.substr(close + 1);
    host = host.substr(1, close - 1);
    if (!after.empty()) {
      if (after.front() != ':' || !parse_int(after.substr(1), port)) return invalid("the port must be a number");
    }
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    if (!parse_int(host.substr(colon + 1), port)) return invalid("the port must be a number");
    host = host.substr(0, colon);
  }
  if (host.empty()) return invalid("no host");
  if (port < 1 || port > 65535) return invalid("the port must be 1..65535");

  redis.url = std::string(url);
  redis.host = std::string(host);
  redis.port = port;
  redis.username = std::move(username);
  redis.password = std::move(password);
  redis.database = database;
  return Ok{};
}

}  // namespace pws::registry
