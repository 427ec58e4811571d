// Who may use the dashboard's API, decided per request: the page itself is
// static and public, but the feed, the figures and the send-event form act
// as an app, so they need what the HTTP API needs or an operator's token.
#pragma once

#include <string>
#include <string_view>

#include "channels/app.hpp"
#include "http_api/request.hpp"

namespace pws::dashboard {

struct AccessSettings {
  std::string token;             ///< [dashboard] token; "" = none
  bool open_on_loopback = true;  ///< [dashboard] open_on_loopback
};

struct Access {
  enum class Kind { None, Loopback, Token, App };
  Kind kind = Kind::None;
  std::string app_id;  ///< Kind::App: the only app this access reaches
  std::string refusal;  ///< Kind::None: why, for the 401 body

  bool granted() const noexcept { return kind != Kind::None; }
  bool reaches(std::string_view id) const noexcept {
    return kind == Kind::Loopback || kind == Kind::Token || (kind == Kind::App && app_id == id);
  }
  std::string_view name() const noexcept;
};

/// Loopback (peer, and a Host header naming loopback so that a DNS-rebound
/// name cannot borrow it) when allowed; else `Authorization: Bearer <token>`;
/// else `Authorization: Basic base64(key:secret)` of an app. Secrets are
/// compared in constant time.
Access decide_access(const http_api::Request& request, const AccessSettings& settings,
                     const channels::AppDirectory& apps);

/// True when a Host header value (with or without port) names this machine:
/// localhost, *.localhost, 127.0.0.0/8 or [::1].
bool host_is_loopback(std::string_view host);

/// True when the Origin header is absent or names the same host as Host: a
/// page of another site cannot make the browser act on the dashboard.
bool same_origin(const http_api::Request& request);

}  // namespace pws::dashboard
