// Encoders for every server->client message. Members are always written in
// the order event, data, channel, user_id (section 1.7), compact, and `data`
// is a string except where section 1.8 says an object. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error/errc.hpp"
#include "protocol/frame.hpp"

namespace pws::protocol {

Frame encode_connection_established(std::string_view socket_id, int activity_timeout);

/// {"event":"pusher:error","data":{"code":<code|null>,"message":...}}
Frame encode_error(std::optional<int> code, std::string_view message);
/// pusher:error for `e` using its table code (null when the code is 0).
Frame encode_error(Errc e, std::string_view message);

Frame encode_pong();
Frame encode_ping();

/// Channel-scoped event whose data is already a string (published data,
/// relayed client events): {"event":e,"data":"<data>","channel":c[,"user_id":u]}.
Frame encode_channel_event(std::string_view event, std::string_view data, std::string_view channel,
                           std::string_view user_id = {});

Frame encode_subscription_succeeded(std::string_view channel, std::string_view data_json = "{}");

Frame encode_subscription_error(std::string_view channel, Errc e, std::string_view message);

/// `user_info_json` is compact JSON text of the member's info ("{}" when none).
Frame encode_member_added(std::string_view channel, std::string_view user_id,
                          std::string_view user_info_json);
Frame encode_member_removed(std::string_view channel, std::string_view user_id);

struct PresenceMember {
  std::string_view user_id;
  std::string_view user_info_json;
};
/// {"presence":{"ids":[...],"hash":{...},"count":N}} as JSON text.
std::string presence_data_json(const std::vector<PresenceMember>& members);

}  // namespace pws::protocol

namespace pws::protocol {
/// {"event":"pusher:signin_success","data":{"user_data":"<user_data>"}}
Frame encode_signin_success(std::string_view user_data);

/// {"event":"pusher:cache_miss","data":"{}","channel":c} (2.12).
Frame encode_cache_miss(std::string_view channel);

/// pusher_internal:watchlist_events (2.15): no channel; data is the string
/// {"events":[{"name":"online","user_ids":[..]},{"name":"offline",...}]},
/// an entry left out when its list is empty.
Frame encode_watchlist_events(const std::vector<std::string_view>& online,
                              const std::vector<std::string_view>& offline);
}  // namespace pws::protocol
