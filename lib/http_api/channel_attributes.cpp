// Writing per-channel attributes for trigger `info`, batch `info` and
// GET /channels.
#include "http_api/channel_attributes.hpp"

namespace pws::http_api {

InfoRequest parse_info(std::string_view info) {
  InfoRequest request;
  while (!info.empty()) {
    const auto comma = info.find(',');
    auto item = info.substr(0, comma);
    info = comma == std::string_view::npos ? std::string_view() : info.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == "user_count") request.user_count = true;
    else if (item == "subscription_count") request.subscription_count = true;
    else if (item == "cache") request.cache = true;
  }
  return request;
}

void append_channel_attributes(std::string& out, const InfoRequest& info,
                               protocol::ChannelType type, const channels::ChannelInfo& counts) {
  out.push_back('{');
  bool first = true;
  auto field = [&](std::string_view name, std::size_t value) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('"');
    out.append(name);
    out.append("\":");
    out.append(std::to_string(value));
  };
  if (info.user_count && type.is_presence()) field("user_count", counts.user_count);
  // pws reports subscription_count for every type, presence included (5.5).
  if (info.subscription_count) field("subscription_count", counts.subscription_count);
  out.push_back('}');
}

}  // namespace pws::http_api
