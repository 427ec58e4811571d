// find_config / user_config_path: where pws looks for pws.toml. Only looks
// at the environment and the file system; reads nothing.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "registry/config.hpp"

namespace pws::registry {

namespace fs = std::filesystem;

namespace {

/// The variable's value; empty when unset.
std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

std::string home_directory() {
  std::string home = env("HOME");
  if (!home.empty()) return home;
  // No $HOME (e.g. started by a service manager): ask the user database.
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return {};
}

bool path_exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

/// A candidate found by searching, as opposed to one the user named.
bool is_config_file(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec) && !fs::is_directory(path, ec);
}

}  // namespace

fs::path user_config_path() {
  // The XDG base directory spec says a relative value is invalid and must be ignored.
  const std::string xdg = env("XDG_CONFIG_HOME");
  if (!xdg.empty() && fs::path(xdg).is_absolute()) return fs::path(xdg) / "pws" / "pws.toml";
  return fs::path(home_directory()) / ".config" / "pws" / "pws.toml";
}

Result<std::optional<fs::path>> find_config(const std::optional<fs::path>& explicit_path) {
  // A path the user named is never silently skipped: a typo there would
  // otherwise start pws with some other file.
  if (explicit_path && !explicit_path->empty()) {
    if (!path_exists(*explicit_path))
      return make_error(Errc::Io, "config file " + explicit_path->string() + " does not exist");
    return std::optional<fs::path>(*explicit_path);
  }
  if (const std::string from_env = env("PWS_CONFIG"); !from_env.empty()) {
    if (!path_exists(from_env))
      return make_error(Errc::Io, "config file " + from_env + " does not exist (from $PWS_CONFIG)");
    return std::optional<fs::path>(from_env);
  }

  std::error_code ec;
  fs::path local = fs::absolute("pws.toml", ec);
  if (ec) local = "pws.toml";
  for (const fs::path& candidate : {local, user_config_path(), fs::path("/etc/pws/pws.toml")}) {
    if (is_config_file(candidate)) return std::optional<fs::path>(candidate);
  }
  return std::optional<fs::path>();
}

fs::path statistics_database_path(const Config& config) {
  const std::string_view default_name = "pws-statistics.sqlite";
  fs::path base;
  if (!config.source.empty()) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(config.source, ec);
    base = (ec ? config.source : absolute).parent_path();
  } else {
    // No file (PUSHER_APP_* only): the XDG data directory.
    const std::string xdg = env("XDG_DATA_HOME");
    base = !xdg.empty() && fs::path(xdg).is_absolute() ? fs::path(xdg) / "pws"
                                                       : fs::path(home_directory()) / ".local" / "share" / "pws";
  }
  if (config.statistics.database.empty()) return base / default_name;
  const fs::path configured(config.statistics.database);
  return configured.is_absolute() ? configured : base / configured;
}

}  // namespace pws::registry
