// app_from_environment: the single app given by PUSHER_APP_ID/KEY/SECRET,
// the variables Pusher's own SDKs and examples use, so `pws serve` can run
// with no config file at all.
#include <array>
#include <cstdlib>

#include "registry/config.hpp"

namespace pws::registry {

Result<std::optional<channels::App>> app_from_environment() {
  constexpr std::array<const char*, 3> kNames = {"PUSHER_APP_ID", "PUSHER_APP_KEY", "PUSHER_APP_SECRET"};
  std::array<std::string, 3> values;
  std::string missing;
  std::size_t set = 0;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    // An empty value counts as unset: an empty id, key or secret is never valid.
    const char* value = std::getenv(kNames[i]);
    if (value && *value) {
      values[i] = value;
      ++set;
    } else {
      if (!missing.empty()) missing += ", ";
      missing += kNames[i];
    }
  }
  if (set == 0) return std::optional<channels::App>();
  if (set < kNames.size())
    return make_error(Errc::InvalidConfig,
                      "incomplete app in the environment: " + missing +
                          " not set (PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET go together)");
  channels::App app;
  app.id = values[0];
  app.key = values[1];
  app.secret = values[2];
  app.name = "env";
  return std::optional<channels::App>(std::move(app));
}

}  // namespace pws::registry
