// The configuration `pws serve` runs with: the discovered file, the app from
// PUSHER_APP_* in the environment, or, on a first start with neither, a
// freshly generated user-level config (mode 0600) whose credentials are
// printed so the user can paste them into their client.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

#include "registry/config.hpp"

namespace pws::registry {

struct ServeOverrides {
  std::optional<std::string> host;
  std::optional<int> port;
  bool debug = false;
  std::optional<int> event_loops;
};

struct ServeConfig {
  Config config;
  /// Set on a first start: the app just generated, whose credentials the
  /// user needs (see first_start_instructions).
  std::optional<channels::App> generated_app;
};

/// Resolves the config, applies the flags in `overrides` and tells the user
/// on `out` where a config was created. Errors: unreadable or invalid config,
/// partial PUSHER_APP_* variables, an env app clashing with the file, or no
/// app at all.
Result<ServeConfig> load_serve_config(const std::optional<std::filesystem::path>& explicit_path,
                                      const ServeOverrides& overrides, std::ostream& out);

/// What `pws serve` runs with after the registry file changed on disk:
/// `path` loaded again plus the PUSHER_APP_* app, as load_serve_config does
/// (the command-line overrides apply to [server] only, which a reload does
/// not change). Errors leave the running config in place.
Result<Config> reload_serve_config(const std::filesystem::path& path);

/// The generated credentials with a pusher-js snippet and a Laravel .env
/// block, for the port the server actually listens on.
std::string first_start_instructions(const channels::App& app, const ServerConfig& server, int port);

}  // namespace pws::registry
