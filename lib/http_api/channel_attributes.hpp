// The `info` attributes of the HTTP API (user_count, subscription_count,
// cache) and how they are written for one channel
// (../shared/docs/pusher-protocol.md 5.5, 5.7, 5.8).
#pragma once

#include <string>
#include <string_view>

#include "channels/hub.hpp"
#include "protocol/channel_name.hpp"

namespace pws::http_api {

/// Which attributes an `info` parameter asked for. Unknown names are ignored.
struct InfoRequest {
  bool user_count = false;
  bool subscription_count = false;
  bool cache = false;
};

/// Parses a comma-separated `info` value ("user_count,subscription_count").
InfoRequest parse_info(std::string_view info);

/// Appends a JSON object with the requested attributes that apply to a
/// channel of `type`: user_count for presence channels only,
/// subscription_count for every channel. Inapplicable ones are silently
/// omitted, so the result may be `{}`. `cache` is not written here.
void append_channel_attributes(std::string& out, const InfoRequest& info,
                               protocol::ChannelType type, const channels::ChannelInfo& counts);

}  // namespace pws::http_api
