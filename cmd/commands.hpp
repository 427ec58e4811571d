// The subcommands' entry points; each lives in its own cmd/<name>.cpp.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace pws::cmd {

struct GlobalOptions {
  std::string config;  ///< --config, empty = discover
};

void setup_serve(CLI::App& app, const GlobalOptions& global, int& exit_code);

}  // namespace pws::cmd
