// The subcommands' entry points; each lives in its own cmd/<name>.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace pws::cmd {

struct GlobalOptions {
  std::string config;  ///< --config, empty = discover
};

/// --config, accepted before the subcommand (pws --config f serve) and after
/// it (pws serve --config f), so every command's --help lists it.
void add_config_option(CLI::App& app, GlobalOptions& global);

void setup_serve(CLI::App& app, GlobalOptions& global, int& exit_code);

}  // namespace pws::cmd
