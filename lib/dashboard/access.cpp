#include "dashboard/access.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/base64.hpp"
#include "crypto/crypto.hpp"

namespace pws::dashboard {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// "Scheme credentials" -> credentials when the scheme matches (case-insensitively).
std::optional<std::string_view> credentials_for(std::string_view authorization, std::string_view scheme) {
  if (authorization.size() <= scheme.size() + 1 || !iequals(authorization.substr(0, scheme.size()), scheme) ||
      authorization[scheme.size()] != ' ')
    return std::nullopt;
  std::string_view rest = authorization.substr(scheme.size() + 1);
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  return rest;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// The host name of a Host header value, without port or IPv6 brackets.
std::string host_name(std::string_view host) {
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    return close == std::string_view::npos ? std::string() : lowercase(host.substr(1, close - 1));
  }
  const auto colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  return lowercase(host);
}

bool is_ipv4_loopback(std::string_view name) {
  if (!name.starts_with("127.")) return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.')
      ++dots;
    else if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  }
  return dots == 3;
}

}  // namespace

std::string_view Access::name() const noexcept {
  switch (kind) {
    case Kind::Loopback:
      return "loopback";
    case Kind::Token:
      return "token";
    case Kind::App:
      return "app";
    case Kind::None:
      break;
  }
  return "none";
}

bool host_is_loopback(std::string_view host) {
  const std::string name = host_name(host);
  return name == "localhost" || name.ends_with(".localhost") || name == "::1" || is_ipv4_loopback(name);
}

bool same_origin(const http_api::Request& request) {
  if (request.origin.empty()) return true;
  const auto scheme_end = request.origin.find("://");
  if (scheme_end == std::string::npos) return false;
  return iequals(std::string_view(request.origin).substr(scheme_end + 3), request.host);
}

Access decide_access(const http_api::Request& request, const AccessSettings& settings,
                     const channels::AppDirectory& apps) {
  Access access;
  if (settings.open_on_loopback && request.from_loopback && host_is_loopback(request.host)) {
    access.kind = Access::Kind::Loopback;
    return access;
  }
  if (request.authorization.empty()) {
    access.refusal = settings.token.empty()
                         ? "Sign in with an app's key and secret"
                         : "Sign in with an app's key and secret, or the dashboard token";
    return access;
  }
  if (auto token = credentials_for(request.authorization, "Bearer")) {
    if (!settings.token.empty() && crypto::secrets_equal(*token, settings.token)) {
      access.kind = Access::Kind::Token;
      return access;
    }
    access.refusal = settings.token.empty() ? "No dashboard token is configured; sign in with an app's key and secret"
                                            : "Wrong dashboard token";
    return access;
  }
  if (auto encoded = credentials_for(request.authorization, "Basic")) {
    const auto decoded = crypto::base64_decode(*encoded);
    const auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      const std::string_view key = std::string_view(*decoded).substr(0, colon);
      const std::string_view secret = std::string_view(*decoded).substr(colon + 1);
      const channels::App* app = apps.find_by_key(key);
      // Compare against something even for an unknown key, so the time
      // taken does not tell which keys exist.
      const bool secret_ok = crypto::secrets_equal(secret, app ? std::string_view(app->secret) : std::string_view(*decoded));
      if (app && secret_ok) {
        access.kind = Access::Kind::App;
        access.app_id = app->id;
        return access;
      }
    }
    access.refusal = "Wrong app key or secret";
    return access;
  }
  access.refusal = "Unsupported Authorization scheme; use Bearer <token> or Basic <key:secret>";
  return access;
}

}  // namespace pws::dashboard
