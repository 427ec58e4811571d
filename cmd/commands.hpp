// The subcommands' entry points; each lives in its own cmd/<name>.cpp and
// registers itself on the top-level app. A command's callback stores its
// exit status (cli.hpp ExitCode) in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

#include "cmd/cli.hpp"

namespace pws::cmd {

void setup_serve(CLI::App& app, GlobalOptions& global, int& exit_code);
void setup_trigger(CLI::App& app, GlobalOptions& global, int& exit_code);
void setup_channels(CLI::App& app, GlobalOptions& global, int& exit_code);
void setup_users(CLI::App& app, GlobalOptions& global, int& exit_code);
void setup_apps(CLI::App& app, GlobalOptions& global, int& exit_code);
void setup_stats(CLI::App& app, GlobalOptions& global, int& exit_code);
void setup_tail(CLI::App& app, GlobalOptions& global, int& exit_code);
void setup_bench(CLI::App& app, GlobalOptions& global, int& exit_code);

}  // namespace pws::cmd
