#include "protocol/server_message.hpp"

#include "protocol/json_text.hpp"
#include "protocol/names.hpp"

namespace pws::protocol {

namespace {

void open_event(std::string& out, std::string_view event) {
  out.append("{\"event\":");
  append_json_string(out, event);
}

void append_channel(std::string& out, std::string_view channel) {
  out.append(",\"channel\":");
  append_json_string(out, channel);
}

}  // namespace

Frame encode_connection_established(std::string_view socket_id, int activity_timeout) {
  std::string data = "{\"socket_id\":";
  append_json_string(data, socket_id);
  data.append(",\"activity_timeout\":").append(std::to_string(activity_timeout)).append("}");
  FrameBuilder b(data.size() + 64);
  open_event(b.out(), names::kConnectionEstablished);
  b.out().append(",\"data\":");
  append_json_string(b.out(), data);
  b.out().push_back('}');
  return b.take();
}

Frame encode_error(std::optional<int> code, std::string_view message) {
  FrameBuilder b(message.size() + 64);
  open_event(b.out(), names::kError);
  b.out().append(",\"data\":{\"code\":");
  b.out().append(code ? std::to_string(*code) : std::string("null"));
  b.out().append(",\"message\":");
  append_json_string(b.out(), message);
  b.out().append("}}");
  return b.take();
}

Frame encode_error(Errc e, std::string_view message) {
  const int code = info(e).code;
  return encode_error(code ? std::optional<int>(code) : std::nullopt, message);
}

Frame encode_pong() { return Frame::from_payload(R"({"event":"pusher:pong","data":{}})"); }
Frame encode_ping() { return Frame::from_payload(R"({"event":"pusher:ping","data":{}})"); }

Frame encode_channel_event(std::string_view event, std::string_view data, std::string_view channel,
                           std::string_view user_id) {
  FrameBuilder b(event.size() + data.size() + channel.size() + user_id.size() + 48);
  std::string& out = b.out();
  open_event(out, event);
  out.append(",\"data\":");
  append_json_string(out, data);
  append_channel(out, channel);
  if (!user_id.empty()) {
    out.append(",\"user_id\":");
    append_json_string(out, user_id);
  }
  out.push_back('}');
  return b.take();
}

Frame encode_subscription_succeeded(std::string_view channel, std::string_view data_json) {
  return encode_channel_event(names::kSubscriptionSucceeded, data_json, channel);
}

Frame encode_subscription_error(std::string_view channel, Errc e, std::string_view message) {
  const ErrcInfo& row = info(e);
  FrameBuilder b(message.size() + channel.size() + 96);
  std::string& out = b.out();
  open_event(out, names::kSubscriptionError);
  out.append(",\"data\":{\"type\":");
  append_json_string(out, row.subscription_type);
  out.append(",\"error\":");
  append_json_string(out, message);
  out.append(",\"status\":").append(std::to_string(row.subscription_status)).append("}");
  append_channel(out, channel);
  out.push_back('}');
  return b.take();
}

Frame encode_member_added(std::string_view channel, std::string_view user_id,
                          std::string_view user_info_json) {
  std::string data = "{\"user_id\":";
  append_json_string(data, user_id);
  data.append(",\"user_info\":").append(user_info_json).push_back('}');
  return encode_channel_event(names::kMemberAdded, data, channel);
}

Frame encode_member_removed(std::string_view channel, std::string_view user_id) {
  std::string data = "{\"user_id\":";
  append_json_string(data, user_id);
  data.push_back('}');
  return encode_channel_event(names::kMemberRemoved, data, channel);
}

std::string presence_data_json(const std::vector<PresenceMember>& members) {
  std::string out = "{\"presence\":{\"ids\":[";
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, members[i].user_id);
  }
  out.append("],\"hash\":{");
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(out, members[i].user_id);
    out.push_back(':');
    out.append(members[i].user_info_json);
  }
  out.append("},\"count\":").append(std::to_string(members.size())).append("}}");
  return out;
}

}  // namespace pws::protocol

namespace pws::protocol {
Frame encode_signin_success(std::string_view user_data) {
  FrameBuilder b(user_data.size() + 80);
  open_event(b.out(), names::kSigninSuccess);
  b.out().append(",\"data\":{\"user_data\":");
  append_json_string(b.out(), user_data);
  b.out().append("}}");
  return b.take();
}

Frame encode_cache_miss(std::string_view channel) { return encode_channel_event(names::kCacheMiss, "{}", channel); }

Frame encode_watchlist_events(const std::vector<std::string_view>& online,
                              const std::vector<std::string_view>& offline) {
  std::string data = "{\"events\":[";
  bool first_entry = true;
  auto entry = [&](std::string_view name, const std::vector<std::string_view>& ids) {
    if (ids.empty()) return;
    if (!first_entry) data.push_back(',');
    first_entry = false;
    data.append("{\"name\":");
    append_json_string(data, name);
    data.append(",\"user_ids\":[");
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i) data.push_back(',');
      append_json_string(data, ids[i]);
    }
    data.append("]}");
  };
  entry("online", online);
  entry("offline", offline);
  data.append("]}");
  FrameBuilder b(data.size() * 2 + 64);
  open_event(b.out(), names::kWatchlistEvents);
  b.out().append(",\"data\":");
  append_json_string(b.out(), data);
  b.out().push_back('}');
  return b.take();
}
}  // namespace pws::protocol
