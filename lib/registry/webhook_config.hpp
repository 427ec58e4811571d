// Internal to lib/registry: the [[apps.webhooks]] entries of an app.
#pragma once

#include <string>
#include <vector>

#include "channels/app.hpp"
#include "registry/toml_reader.hpp"

namespace pws::registry::detail {

/// Reads `node` (the value of an app's `webhooks` key, an array of tables)
/// into `out`, reporting every problem under `path` ("apps[0].webhooks").
///
///   [[apps.webhooks]]
///   url = "https://example.com/pusher/webhooks"   # http:// or https://, required
///   event_types = ["channel_occupied", "channel_vacated"]   # default: all of 7.3
///   headers = { "X-Api-Token" = "..." }           # extra headers; never the Pusher ones
///   filter = { channel_name_starts_with = "presence-", channel_name_ends_with = "" }
void read_webhooks(const toml::node& node, const std::string& path, Diagnostics& diagnostics,
                   std::vector<channels::Webhook>& out);

/// Why `url` cannot be a webhook URL; "" when it can.
std::string webhook_url_problem(std::string_view url);

}  // namespace pws::registry::detail
