// pws apps add|list|show|remove: the app registry in pws.toml, edited in
// place. Writes go through registry::edit_registry_file (lock, re-read, edit
// the text, validate, atomic 0600 replace), so comments survive, concurrent
// `pws apps add` runs never lose an app and a running server only ever sees
// a complete, valid file. Secrets are masked unless asked for.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "cmd/commands.hpp"
#include "registry/registry_file.hpp"

namespace pws::cmd {

namespace {

namespace fs = std::filesystem;
using channels::App;

struct AddOptions {
  std::string name;
  std::optional<std::string> id;
  std::optional<std::string> key;
  std::optional<std::string> secret;
  bool client_messages = false;
  bool no_statistics = false;
  bool env = false;
};

struct ListOptions {
  bool show_secrets = false;
};

struct ShowOptions {
  std::string app;
  bool show_secrets = false;
  bool env = false;
};

struct RemoveOptions {
  std::string app;
};

// ---- Output ----

/// The first 4 characters and "…"; shorter secrets show at most half of themselves.
std::string mask(std::string_view secret) {
  const std::size_t shown = secret.size() >= 8 ? 4 : secret.size() / 2;
  return std::string(secret.substr(0, shown)) + "\xE2\x80\xA6";
}

boost::json::object app_json(const App& app, bool show_secret) {
  boost::json::object o;
  o["id"] = app.id;
  o["key"] = app.key;
  o["secret"] = show_secret ? app.secret : mask(app.secret);
  o["name"] = app.name;
  o["enabled"] = app.enabled;
  o["enable_client_messages"] = app.enable_client_messages;
  o["enable_statistics"] = app.enable_statistics;
  return o;
}

void print_json(const boost::json::value& value) {
  const std::string text = boost::json::serialize(value) + "\n";
  std::fputs(text.c_str(), stdout);
}

void print_env(const App& app) {
  std::printf("PUSHER_APP_ID=%s\nPUSHER_APP_KEY=%s\nPUSHER_APP_SECRET=%s\n", app.id.c_str(), app.key.c_str(),
              app.secret.c_str());
}

/// "key: value" lines with the values aligned.
void print_fields(const std::vector<std::pair<std::string, std::string>>& fields, std::string_view indent = {}) {
  std::size_t width = 0;
  for (const auto& [name, value] : fields) width = std::max(width, name.size() + 1);
  for (const auto& [name, value] : fields) {
    std::string line(indent);
    line += name + ":";
    line.append(width - name.size() - 1 + 1, ' ');
    line += value + "\n";
    std::fputs(line.c_str(), stdout);
  }
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }
std::string true_false(bool b) { return b ? "true" : "false"; }

// ---- Validation ----

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

/// Why `value` of `option` is not acceptable; empty when it is. `in_urls`:
/// the value is a path segment of WebSocket and HTTP API URLs (id, key).
std::string check_value(std::string_view option, std::string_view value, bool in_urls) {
  const std::string name(option);
  if (value.empty()) return name + " must not be empty";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return name + " must not contain control characters";
  }
  if (!valid_utf8(value)) return name + " must be valid UTF-8";
  if (in_urls) {
    for (const char c : value) {
      if (c == ' ' || c == '/' || c == '?' || c == '#' || c == '%' || c == '\\')
        return name + " must not contain spaces or any of / ? # % \\ (it is part of URLs): \"" + std::string(value) +
               "\"";
    }
  }
  return {};
}

// ---- Registry file ----

/// The app `query` names: an id first, then a name. Sets `status` to
/// kExitFailure (unknown) or kExitUsage (a name shared by several apps).
Result<App> find_app(const std::vector<App>& apps, const std::string& query, const std::string& file, int& status) {
  for (const App& app : apps)
    if (app.id == query) return app;
  std::vector<const App*> named;
  for (const App& app : apps)
    if (app.name == query) named.push_back(&app);
  if (named.size() == 1) return *named.front();
  if (named.empty()) {
    status = kExitFailure;
    return make_error(Errc::NotFound, "no app \"" + query + "\" in " + file);
  }
  std::string ids;
  for (const App* app : named) ids += (ids.empty() ? "" : ", ") + app->id;
  status = kExitUsage;
  return make_error(Errc::BadRequest, "ambiguous app \"" + query + "\": " + std::to_string(named.size()) +
                                          " apps in " + file + " have that name (ids " + ids + "); use the id");
}

// ---- Commands ----

int run_add(const GlobalOptions& global, const AddOptions& options) {
  if (global.json && options.env) {
    print_error("--json and --env cannot be combined");
    return kExitUsage;
  }
  for (const auto& [option, value, in_urls] :
       {std::tuple<std::string_view, std::optional<std::string>, bool>{"--name", options.name, false},
        {"--id", options.id, true},
        {"--key", options.key, true},
        {"--secret", options.secret, false}}) {
    if (!value) continue;
    if (std::string problem = check_value(option, *value, in_urls); !problem.empty()) {
      print_error(problem);
      return kExitUsage;
    }
  }

  App app = registry::generate_app(options.name);
  if (options.id) app.id = *options.id;
  if (options.key) app.key = *options.key;
  if (options.secret) app.secret = *options.secret;
  app.enable_client_messages = options.client_messages;
  app.enable_statistics = !options.no_statistics;

  // A file the user named is created if missing; otherwise the discovered
  // one, else the user-level config.
  fs::path path;
  if (auto named = global.explicit_config()) {
    path = *named;
  } else if (const char* from_env = std::getenv("PWS_CONFIG"); from_env && *from_env) {
    path = from_env;
  } else {
    int status = kExitOk;
    const auto found = find_cli_config(global, status);
    if (!found) return status;
    path = found->empty() ? registry::user_config_path() : *found;
  }
  print_verbose(global, "editing " + path.string());

  const std::string source = path.string();
  auto edited = registry::edit_registry_file(
      path, [&](const std::string& text) { return registry::append_app_text(text, app, source); });
  if (!edited) {
    print_error("cannot add the app: " + edited.error().message);
    return kExitFailure;
  }
  const std::string file = edited->path.string();

  // --json and --env output is printed even with --quiet: it was asked for.
  if (edited->created && !global.quiet) {
    const std::string note = "no config file found; created " + file + " (mode 0600)";
    // stdout stays machine-readable with --json / --env.
    if (global.json || options.env)
      std::fprintf(stderr, "pws: %s\n", note.c_str());
    else
      std::printf("%s\n", note.c_str());
  }
  if (global.json) {
    print_json(app_json(app, true));
  } else if (options.env) {
    print_env(app);
  } else if (!global.quiet) {
    std::printf("added app \"%s\" to %s\n", app.name.c_str(), file.c_str());
    print_fields({{"id", app.id}, {"key", app.key}, {"secret", app.secret}, {"name", app.name}}, "  ");
  }
  std::fflush(stdout);
  return kExitOk;
}

int run_list(const GlobalOptions& global, const ListOptions& options) {
  int status = kExitOk;
  auto config = load_cli_config(global, status);
  if (!config) return status;
  const std::vector<App>& apps = config->apps;

  if (global.json) {
    boost::json::array array;
    for (const App& app : apps) array.push_back(app_json(app, options.show_secrets));
    print_json(array);
    return kExitOk;
  }
  if (global.quiet || apps.empty()) return kExitOk;
  Table table({"ID", "NAME", "KEY", "SECRET", "ENABLED", "CLIENT_MESSAGES", "STATISTICS"});
  for (const App& app : apps)
    table.add_row({app.id, app.name, app.key, options.show_secrets ? app.secret : mask(app.secret),
                   yes_no(app.enabled), yes_no(app.enable_client_messages), yes_no(app.enable_statistics)});
  table.print(stdout);
  std::fflush(stdout);
  return kExitOk;
}

int run_show(const GlobalOptions& global, const ShowOptions& options) {
  if (global.json && options.env) {
    print_error("--json and --env cannot be combined");
    return kExitUsage;
  }
  int status = kExitOk;
  auto config = load_cli_config(global, status);
  if (!config) return status;
  if (config->source.empty()) {
    print_error("no config file found", "create one with `pws apps add --name NAME`, or name it with --config FILE");
    return kExitFailure;
  }
  auto app = find_app(config->apps, options.app, config->source.string(), status);
  if (!app) {
    print_error(app.error().message);
    return status;
  }

  if (global.json) {
    print_json(app_json(*app, options.show_secrets));
  } else if (options.env) {
    print_env(*app);
  } else if (!global.quiet) {
    std::string origins;
    for (const auto& origin : app->allowed_origins) origins += (origins.empty() ? "" : ", ") + origin;
    print_fields({
        {"id", app->id},
        {"name", app->name},
        {"key", app->key},
        {"secret", options.show_secrets ? app->secret : mask(app->secret)},
        {"enabled", true_false(app->enabled)},
        {"enable_client_messages", true_false(app->enable_client_messages)},
        {"enable_statistics", true_false(app->enable_statistics)},
        {"enable_subscription_count", true_false(app->enable_subscription_count)},
        {"enable_user_authentication", true_false(app->enable_user_authentication)},
        {"require_tls", true_false(app->require_tls)},
        {"allowed_origins", origins.empty() ? "(any)" : origins},
    });
  }
  std::fflush(stdout);
  return kExitOk;
}

int run_remove(const GlobalOptions& global, const RemoveOptions& options) {
  int status = kExitOk;
  const auto found = find_cli_config(global, status);
  if (!found) return status;
  if (found->empty()) {
    print_error("no config file found", "name the file with --config FILE");
    return kExitFailure;
  }
  const fs::path path = *found;
  const std::string source = path.string();
  print_verbose(global, "editing " + source);

  // The app is looked up under the lock, in the text being edited.
  status = kExitFailure;
  std::optional<App> removed;
  auto edited = registry::edit_registry_file(path, [&](const std::string& text) -> Result<std::string> {
    auto config = registry::parse_config(text, source);
    if (!config) return config.error();
    auto app = find_app(config->apps, options.app, source, status);
    if (!app) return app.error();
    removed = *app;
    return registry::remove_app_text(text, app->id, source);
  });
  if (!edited) {
    // Lookup failures are reported as they are; anything else is about the file.
    print_error(removed ? "cannot remove the app: " + edited.error().message : edited.error().message);
    return removed ? kExitFailure : status;
  }

  if (global.json)
    print_json(app_json(*removed, false));
  else if (!global.quiet)
    std::printf("removed app %s (%s) from %s\n", removed->id.c_str(), removed->name.c_str(),
                edited->path.string().c_str());
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

void setup_apps(CLI::App& app, GlobalOptions& global, int& exit_code) {
  CLI::App* apps = add_command(app, "apps", "Add, list, show and remove the apps of the registry (pws.toml)", global);
  apps->require_subcommand(1);

  auto add_options = std::make_shared<AddOptions>();
  CLI::App* add = add_command(*apps, "add", "Add an app with generated (or given) credentials", global);
  add->add_option("--name", add_options->name, "Name of the app")->required();
  add->add_option("--id", add_options->id, "App id (default: a random number)");
  add->add_option("--key", add_options->key, "App key (default: 20 random hex digits)");
  add->add_option("--secret", add_options->secret, "App secret (default: 40 random hex digits)");
  add->add_flag("--client-messages", add_options->client_messages, "Allow client-* events between clients");
  add->add_flag("--no-statistics", add_options->no_statistics, "Record no statistics for this app");
  add->add_flag("--env", add_options->env, "Print only PUSHER_APP_ID=, PUSHER_APP_KEY=, PUSHER_APP_SECRET= lines");
  add->callback([&global, add_options, &exit_code] { exit_code = run_add(global, *add_options); });

  auto list_options = std::make_shared<ListOptions>();
  CLI::App* list = add_command(*apps, "list", "List the apps (secrets masked)", global);
  list->add_flag("--show-secrets", list_options->show_secrets, "Show the secrets in clear");
  list->callback([&global, list_options, &exit_code] { exit_code = run_list(global, *list_options); });

  auto show_options = std::make_shared<ShowOptions>();
  CLI::App* show = add_command(*apps, "show", "Show one app", global);
  show->add_option("app", show_options->app, "App id or name")->required();
  show->add_flag("--show-secrets", show_options->show_secrets, "Show the secret in clear");
  show->add_flag("--env", show_options->env, "Print only PUSHER_APP_ID=, PUSHER_APP_KEY=, PUSHER_APP_SECRET= lines");
  show->callback([&global, show_options, &exit_code] { exit_code = run_show(global, *show_options); });

  auto remove_options = std::make_shared<RemoveOptions>();
  CLI::App* remove = add_command(*apps, "remove", "Remove one app from the registry", global);
  remove->add_option("app", remove_options->app, "App id or name")->required();
  remove->callback([&global, remove_options, &exit_code] { exit_code = run_remove(global, *remove_options); });
}

}  // namespace pws::cmd
