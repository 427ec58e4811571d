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
};

/// Resolves the config, applies the flags in `overrides` and writes notes
/// for the user (where a config was created, credentials, client snippet)
/// to `out`. Errors: unreadable or invalid config, partial PUSHER_APP_*
/// variables, an env app clashing with the file, or no app at all.
Result<Config> load_serve_config(const std::optional<std::filesystem::path>& explicit_path,
                                 const ServeOverrides& overrides, std::ostream& out);

}  // namespace pws::registry
