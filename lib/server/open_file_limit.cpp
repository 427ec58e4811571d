// RLIMIT_NOFILE handling of open_file_limit.hpp.
#include "server/open_file_limit.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace pws::server {

namespace {
// Descriptors the server holds besides client sockets: listen socket, lws
// pipes, the statistics database, stdio, webhook and Redis connections.
constexpr std::int64_t kServerOwnFds = 64;
}  // namespace

OpenFileLimit raise_open_file_limit() {
  OpenFileLimit out;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.error = std::string("getrlimit: ") + std::strerror(errno);
    return out;
  }
  out.unlimited = limit.rlim_max == RLIM_INFINITY;
  if (limit.rlim_cur != limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
      limit = raised;
    else
      out.error = std::string("setrlimit: ") + std::strerror(errno);
  }
  out.soft = static_cast<std::uint64_t>(limit.rlim_cur);
  out.hard = static_cast<std::uint64_t>(limit.rlim_max);
  return out;
}

std::optional<std::int64_t> configured_capacity(const registry::Config& config) {
  if (config.server.max_connections >= 0) return config.server.max_connections;
  std::int64_t sum = 0;
  for (const auto& app : config.apps) {
    if (!app.enabled) continue;
    if (app.limits.max_connections < 0) return std::nullopt;
    sum += app.limits.max_connections;
  }
  if (config.apps.empty()) return std::nullopt;
  return sum;
}

std::string capacity_warning(std::optional<std::int64_t> capacity, const OpenFileLimit& limit) {
  if (!capacity || limit.unlimited || limit.soft == 0) return {};
  if (static_cast<std::uint64_t>(*capacity + kServerOwnFds) <= limit.soft) return {};
  return "the configured capacity of " + std::to_string(*capacity) +
         " connections (max_connections) exceeds the open-file limit of " + std::to_string(limit.soft) +
         " descriptors (hard limit " + std::to_string(limit.hard) +
         "); connections beyond about " +
         std::to_string(limit.soft > std::uint64_t(kServerOwnFds) ? limit.soft - kServerOwnFds : 0) +
         " will be refused: raise it (systemd LimitNOFILE=, ulimit -Hn) or lower max_connections";
}

}  // namespace pws::server
