// The open-file limit of `pws serve`: every client connection is a file
// descriptor, so the server raises its soft RLIMIT_NOFILE to the hard limit
// at start (what systemd's LimitNOFILE= sets) and warns when the configured
// capacity cannot fit. Depends on POSIX and the registry's Config only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "registry/config.hpp"

namespace pws::server {

struct OpenFileLimit {
  std::uint64_t soft = 0;  ///< after raising
  std::uint64_t hard = 0;
  bool unlimited = false;  ///< RLIM_INFINITY
  std::string error;       ///< why raising failed ("" = it worked or was not needed)
};

/// Raises the soft limit to the hard one and reports both.
OpenFileLimit raise_open_file_limit();

/// Connections the config allows at most: [server] max_connections when set,
/// else the sum of every enabled app's [apps.limits] max_connections when
/// each has one; nullopt when unbounded. (server::Server checks [server]
/// max_connections on its own; `pws serve` warns here for the apps' sum.)
std::optional<std::int64_t> configured_capacity(const registry::Config& config);

/// The warning to print when `capacity` (plus the server's own descriptors)
/// exceeds `limit`; "" when it fits.
std::string capacity_warning(std::optional<std::int64_t> capacity, const OpenFileLimit& limit);

}  // namespace pws::server
