// pws serve: find or create the config, apply flags, run the server.
#include <cstdio>
#include <iostream>

#include "cmd/commands.hpp"
#include "registry/serve_config.hpp"
#include "server/server.hpp"

namespace pws::cmd {

namespace {

struct ServeOptions {
  std::optional<std::string> host;
  std::optional<int> port;
  bool debug = false;
  std::optional<int> event_loops;
};

int run_serve(const GlobalOptions& global, const ServeOptions& options) {
  registry::ServeOverrides overrides{options.host, options.port, options.debug, options.event_loops};
  auto config = registry::load_serve_config(
      global.config.empty() ? std::nullopt : std::optional<std::filesystem::path>(global.config),
      overrides, std::cout);
  std::cout.flush();
  if (!config) {
    std::fprintf(stderr, "pws: error: %s\n", config.error().message.c_str());
    return 1;
  }
  const std::optional<channels::App> generated = config->generated_app;
  const registry::ServerConfig server_config = config->config.server;

  server::Server server(std::move(config->config));
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "pws: error: %s\n", started.error().message.c_str());
    return 1;
  }
  // Printed once the port is known (--port 0 picks one).
  if (generated) std::cout << registry::first_start_instructions(*generated, server_config, server.port()) << std::flush;
  return server.run();
}

}  // namespace

void setup_serve(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* serve = app.add_subcommand("serve", "Run the Pusher-compatible WebSocket and HTTP API server");
  add_global_options(*serve, global);
  serve->add_option("--host", options->host, "Address to listen on (default 0.0.0.0)");
  serve->add_option("-p,--port", options->port, "Port to listen on (default 6001; 0 = any free port)")
      ->check(CLI::Range(0, 65535));
  serve->add_flag("--debug", options->debug, "Print one line per connection, subscription and message");
  serve->add_option("--event-loops", options->event_loops,
                    "Event loops, each with its own connections (default 1; 0 = one per core)")
      ->check(CLI::Range(0, registry::kMaxEventLoops));
  serve->callback([&global, options, &exit_code] { exit_code = run_serve(global, *options); });
}

}  // namespace pws::cmd
