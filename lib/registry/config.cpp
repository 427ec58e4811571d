// add_app: the in-memory side of `pws apps add`. The same rules as the
// parser (non-empty id, key and secret; unique id and key) so that a config
// built here always loads back.
#include "registry/config.hpp"

namespace pws::registry {

Status add_app(Config& config, channels::App app) {
  if (app.id.empty()) return make_error(Errc::InvalidConfig, "the app id must not be empty");
  if (app.key.empty()) return make_error(Errc::InvalidConfig, "the app key must not be empty");
  if (app.secret.empty()) return make_error(Errc::InvalidConfig, "the app secret must not be empty");
  for (const auto& existing : config.apps) {
    if (existing.id == app.id)
      return make_error(Errc::InvalidConfig, "an app with id \"" + app.id + "\" already exists");
    if (existing.key == app.key)
      return make_error(Errc::InvalidConfig,
                        "an app with key \"" + app.key + "\" already exists (id \"" + existing.id + "\")");
  }
  config.apps.push_back(std::move(app));
  return Ok{};
}

}  // namespace pws::registry
