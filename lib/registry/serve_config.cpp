#include "registry/serve_config.hpp"

#include <sstream>

namespace pws::registry {

std::string first_start_instructions(const channels::App& app, const ServerConfig& server, int port) {
  const std::string host = server.host == "0.0.0.0" ? "127.0.0.1" : server.host;
  const bool tls = server.tls.enabled();
  std::ostringstream out;
  out << "  app id:     " << app.id << "\n"
      << "  app key:    " << app.key << "\n"
      << "  app secret: " << app.secret << "\n\n"
      << "Client (pusher-js / Laravel Echo):\n"
      << "  new Pusher('" << app.key << "', { wsHost: '" << host << "', wsPort: " << port
      << ", wssPort: " << port << ", forceTLS: " << (tls ? "true" : "false")
      << ", enabledTransports: ['ws', 'wss'], cluster: 'mt1' });\n\n"
      << "Server (.env of a Laravel app; the pusher SDKs take the same values):\n"
      << "  BROADCAST_DRIVER=pusher\n"
      << "  PUSHER_APP_ID=" << app.id << "\n"
      << "  PUSHER_APP_KEY=" << app.key << "\n"
      << "  PUSHER_APP_SECRET=" << app.secret << "\n"
      << "  PUSHER_HOST=" << host << "\n"
      << "  PUSHER_PORT=" << port << "\n"
      << "  PUSHER_SCHEME=" << (tls ? "https" : "http") << "\n\n";
  return out.str();
}

Result<Config> reload_serve_config(const std::filesystem::path& path) {
  auto config = load_config(path);
  if (!config) return config;
  auto env_app = app_from_environment();
  if (!env_app) return env_app.error();
  if (*env_app) {
    if (auto added = add_app(*config, **env_app); !added)
      return make_error(Errc::InvalidConfig,
                        "the app from PUSHER_APP_ID/KEY/SECRET clashes with the config: " + added.error().message);
  }
  return config;
}

Result<ServeConfig> load_serve_config(const std::optional<std::filesystem::path>& explicit_path,
                                      const ServeOverrides& overrides, std::ostream& out) {
  auto found = find_config(explicit_path);
  if (!found) return found.error();
  auto env_app = app_from_environment();
  if (!env_app) return env_app.error();

  Config config;
  bool created = false;
  if (*found) {
    auto loaded = load_config(**found);
    if (!loaded) return loaded.error();
    config = std::move(loaded.value());
  } else if (!*env_app) {
    // First start with no config anywhere: make one the user can keep.
    channels::App app = generate_app("default");
    const auto path = user_config_path();
    if (auto written = write_private_file(path, render_default_config(app)); written) {
      out << "pws: no config file found; created " << path.string() << " (mode 0600) with one app:\n";
      config.source = path;
    } else {
      out << "pws: no config file found and " << path.string() << " could not be written ("
          << written.error().message << "); serving a temporary app:\n";
    }
    config.apps.push_back(std::move(app));
    created = true;
  }
  if (*env_app) {
    if (auto added = add_app(config, **env_app); !added)
      return make_error(Errc::InvalidConfig,
                        "the app from PUSHER_APP_ID/KEY/SECRET clashes with the config: " + added.error().message);
  }
  if (config.apps.empty()) {
    return make_error(Errc::InvalidConfig,
                      "no apps defined" + (config.source.empty() ? std::string() : " in " + config.source.string()) +
                          "; add an [[apps]] entry or set PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET");
  }

  if (overrides.host) config.server.host = *overrides.host;
  if (overrides.port) config.server.port = *overrides.port;
  if (overrides.debug) config.server.debug = true;
  if (overrides.event_loops) config.server.event_loops = *overrides.event_loops;
  ServeConfig result{std::move(config), std::nullopt};
  if (created) result.generated_app = result.config.apps.front();
  return result;
}

}  // namespace pws::registry
