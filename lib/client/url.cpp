// Url: parsing http[s]://host[:port][/prefix] and deriving the server's
// address from --url, $PWS_URL or the config's [server] section.
#include "client/url.hpp"

#include <charconv>
#include <cstdlib>

#include "http_api/route.hpp"

namespace pws::client {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

Error bad_url(std::string_view text, std::string_view why) {
  return make_error(Errc::InvalidConfig,
                    "invalid URL \"" + std::string(text) + "\": " + std::string(why) +
                        " (expected http[s]://host[:port][/path_prefix])");
}

/// True for the addresses a server listens on to mean "every interface".
bool is_wildcard_host(std::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]" || host == "*" ||
         host == "0:0:0:0:0:0:0:0";
}

}  // namespace

std::string Url::text() const {
  std::string out = tls ? "https://" : "http://";
  if (host.find(':') != std::string::npos)
    out += "[" + host + "]";
  else
    out += host;
  out += ":" + std::to_string(port);
  out += path_prefix;
  return out;
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad_url(text, "no http:// or https://");
  const auto scheme = lower(text.substr(0, scheme_end));
  if (scheme == "http")
    url.tls = false;
  else if (scheme == "https")
    url.tls = true;
  else
    return bad_url(text, "the scheme must be http or https, not \"" + scheme + "\"");
  url.port = url.tls ? 443 : 80;

  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad_url(text, "a query or fragment is not allowed");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad_url(text, "user info is not allowed");
  if (authority.find_first_of(" \t\r\n") != std::string_view::npos || path.find_first_of(" \t\r\n") != std::string_view::npos)
    return bad_url(text, "blanks are not allowed");

  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url(text, "unterminated [IPv6 address]");
    url.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad_url(text, "unexpected text after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad_url(text, "empty port");
    }
  } else {
    const auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return bad_url(text, "empty port");
      if (port_text.find(':') != std::string_view::npos)
        return bad_url(text, "an IPv6 address must be written in brackets");
    }
  }
  if (url.host.empty()) return bad_url(text, "no host");
  if (!port_text.empty()) {
    int port = 0;
    const auto* first = port_text.data();
    const auto* last = first + port_text.size();
    const auto [end, ec] = std::from_chars(first, last, port);
    if (ec != std::errc() || end != last || port < 1 || port > 65535)
      return bad_url(text, "the port must be a number from 1 to 65535");
    url.port = port;
  }
  url.path_prefix = http_api::normalize_path_prefix(path);
  return url;
}

Result<RequestUrl> parse_request_url(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return bad_url(text, "blanks and control characters are not allowed");
  }
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad_url(text, "no http:// or https://");
  const auto authority_end = text.find_first_of("/?#", scheme_end + 3);
  auto server = parse_url(text.substr(0, authority_end));
  if (!server) return server.error();
  RequestUrl url{std::move(*server), {}};
  std::string_view target = authority_end == std::string_view::npos ? std::string_view() : text.substr(authority_end);
  target = target.substr(0, target.find('#'));  // a fragment never goes to the server
  if (target.empty() || target.front() != '/') url.target = "/";
  url.target += target;
  return url;
}

Result<Url> server_url(const std::optional<std::string>& flag, const registry::Config& config) {
  if (flag) {
    auto url = parse_url(*flag);
    if (!url) return make_error(url.error().code, "--url: " + url.error().message);
    return url;
  }
  if (const char* env = std::getenv("PWS_URL"); env != nullptr && *env != '\0') {
    auto url = parse_url(env);
    if (!url) return make_error(url.error().code, "$PWS_URL: " + url.error().message);
    return url;
  }
  // Config{} holds the server defaults (0.0.0.0:6001, no prefix, no TLS), so
  // "no config file" gives http://127.0.0.1:6001.
  const auto& server = config.server;
  Url url;
  url.tls = server.tls.enabled();
  url.host = server.host;
  if (url.host.size() >= 2 && url.host.front() == '[' && url.host.back() == ']')
    url.host = url.host.substr(1, url.host.size() - 2);
  // A server listening on every interface is reached on the loopback one.
  if (is_wildcard_host(url.host)) url.host = "127.0.0.1";
  url.port = server.port > 0 ? server.port : 6001;
  url.path_prefix = http_api::normalize_path_prefix(server.path_prefix);
  return url;
}

}  // namespace pws::client
