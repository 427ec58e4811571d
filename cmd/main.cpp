// pws: one binary, one subcommand per file in cmd/. main builds the CLI11
// app, lets each subcommand register itself and maps errors to the exit
// statuses of cli.hpp (usage errors are 2).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <string>

#include "cmd/commands.hpp"

int main(int argc, char** argv) {
  CLI::App app{"pws - a self-hosted Pusher-compatible real-time server and toolkit", "pws"};
  app.set_version_flag("--version", std::string("pws ") + PWS_VERSION);
  app.require_subcommand(1);
  // Global options work before or after the subcommand (pws serve --config x).
  app.fallthrough();
  // Usage errors look like every other error, with a hint where to read more.
  app.failure_message([](const CLI::App* top, const CLI::Error& e) {
    return "pws: error: " + std::string(e.what()) + "\npws: hint: see `" + pws::cmd::command_path(*top) +
           " --help`\n";
  });
  pws::cmd::GlobalOptions global;
  pws::cmd::add_global_options(app, global);

  int exit_code = pws::cmd::kExitOk;
  pws::cmd::setup_serve(app, global, exit_code);
  pws::cmd::setup_trigger(app, global, exit_code);
  pws::cmd::setup_channels(app, global, exit_code);
  pws::cmd::setup_users(app, global, exit_code);
  pws::cmd::setup_apps(app, global, exit_code);
  pws::cmd::setup_stats(app, global, exit_code);
  pws::cmd::setup_tail(app, global, exit_code);
  pws::cmd::setup_bench(app, global, exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; every usage error is status 2.
    return app.exit(e) == 0 ? pws::cmd::kExitOk : pws::cmd::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pws: error: %s\n", e.what());
    return pws::cmd::kExitFailure;
  }
  return exit_code;
}
