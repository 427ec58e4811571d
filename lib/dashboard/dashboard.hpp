// Dashboard: the debug dashboard's HTTP side, as a pure function of a
// Request like http_api::Api. It serves the embedded page and a small JSON
// API for it; what that API does as an app (send an event, read channels and
// statistics) goes through Api::handle_preauthorized, so its validation and
// answers are the HTTP API's own. Live events come from the feed WebSocket,
// whose URL the API signs for the page.
#pragma once

#include <string>
#include <string_view>

#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "dashboard/access.hpp"
#include "http_api/api.hpp"
#include "http_api/request.hpp"

namespace pws::dashboard {

struct DashboardSettings {
  std::string path_prefix;          ///< [server] path_prefix ("" = none)
  std::string path = "/dashboard";  ///< [dashboard] path, under the prefix
  AccessSettings access;
  int feed_data_limit = 1024;  ///< reported to the page
  std::string version;
};

class Dashboard {
 public:
  Dashboard(channels::Hub& hub, http_api::Api& api, const channels::Clock& clock, DashboardSettings settings);

  /// True when `path` (as received, without the query) is the dashboard's:
  /// its base or anything under it.
  bool owns(std::string_view path) const;

  http_api::Response handle(const http_api::Request& request);

 private:
  channels::Hub& hub_;
  http_api::Api& api_;
  const channels::Clock& clock_;
  DashboardSettings settings_;
  std::string base_;  ///< prefix + path

  http_api::Response serve_file(const http_api::Request& request, std::string_view name) const;
  http_api::Response serve_api(const http_api::Request& request, std::string_view route);
  http_api::Response list_apps(const Access& access) const;
  http_api::Response feed_path(const channels::App& app) const;
};

}  // namespace pws::dashboard
