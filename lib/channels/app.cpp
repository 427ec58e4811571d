#include "channels/app.hpp"

#include <algorithm>

namespace pws::channels {

AppDirectory::AppDirectory(std::vector<App> apps) {
  apps_.reserve(apps.size());
  for (auto& app : apps) {
    by_key_.emplace(app.key, apps_.size());
    by_id_.emplace(app.id, apps_.size());
    apps_.push_back(std::make_shared<const App>(std::move(app)));
  }
}

const App* AppDirectory::find_by_key(std::string_view key) const noexcept {
  auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? nullptr : apps_[it->second].get();
}

const App* AppDirectory::find_by_id(std::string_view id) const noexcept {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : apps_[it->second].get();
}

std::shared_ptr<const App> AppDirectory::shared_by_id(std::string_view id) const noexcept {
  auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : apps_[it->second];
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

/// "https://Example.com:8080/" -> host "example.com", host_port "example.com:8080".
struct OriginParts {
  std::string full;       // scheme://host[:port], lower case, no trailing slash
  std::string host_port;  // host[:port]
  std::string host;       // host
};

OriginParts split_origin(std::string_view origin) {
  OriginParts parts;
  std::string o = lower(origin);
  while (!o.empty() && o.back() == '/') o.pop_back();
  parts.full = o;
  std::string_view rest = o;
  if (auto p = rest.find("://"); p != std::string_view::npos) rest = rest.substr(p + 3);
  if (auto p = rest.find('/'); p != std::string_view::npos) rest = rest.substr(0, p);
  parts.host_port = std::string(rest);
  if (!rest.empty() && rest.front() == '[') {  // IPv6 literal
    auto close = rest.find(']');
    parts.host = std::string(rest.substr(0, close == std::string_view::npos ? rest.size() : close + 1));
  } else {
    parts.host = std::string(rest.substr(0, rest.find(':')));
  }
  return parts;
}

}  // namespace

bool origin_allowed(const App& app, std::string_view origin) {
  if (app.allowed_origins.empty()) return true;
  const OriginParts o = split_origin(origin);
  for (const std::string& allowed_raw : app.allowed_origins) {
    if (allowed_raw == "*") return true;
    if (o.host.empty()) continue;
    std::string allowed = lower(allowed_raw);
    while (!allowed.empty() && allowed.back() == '/') allowed.pop_back();
    if (allowed.starts_with("*.")) {
      std::string_view suffix = std::string_view(allowed).substr(1);  // ".example.com"
      if (o.host.size() > suffix.size() && o.host.ends_with(suffix)) return true;
      continue;
    }
    if (allowed.find("://") != std::string::npos) {
      if (allowed == o.full) return true;
    } else if (allowed == o.host || allowed == o.host_port) {
      return true;
    }
  }
  return false;
}

bool Webhook::wants(std::string_view event_type, std::string_view channel) const noexcept {
  if (!event_types.empty() && std::find(event_types.begin(), event_types.end(), event_type) == event_types.end())
    return false;
  return channel.starts_with(channel_name_starts_with) && channel.ends_with(channel_name_ends_with);
}

}  // namespace pws::channels
