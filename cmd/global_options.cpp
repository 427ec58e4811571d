// Options every subcommand shares.
#include "cmd/commands.hpp"

namespace pws::cmd {

void add_config_option(CLI::App& app, GlobalOptions& global) {
  app.add_option("-c,--config", global.config,
                 "Config file (default: $PWS_CONFIG, ./pws.toml, $XDG_CONFIG_HOME/pws/pws.toml, "
                 "/etc/pws/pws.toml)");
}

}  // namespace pws::cmd
