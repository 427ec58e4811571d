// Validation of triggered events. Everything is checked before anything is
// published, so a rejected request (or batch) delivers nothing.
#include "http_api/trigger_event.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "protocol/channel_name.hpp"
#include "protocol/names.hpp"

namespace pws::http_api {

namespace {

Error bad_request(std::string message) { return make_error(Errc::BadRequest, std::move(message)); }

/// Length in characters (UTF-8 code points), as the SDKs count it.
std::size_t character_count(std::string_view text) noexcept {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

/// ^\d+\.\d+$ (section 1.6).
bool is_socket_id(std::string_view id) noexcept {
  const auto dot = id.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == id.size()) return false;
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(id.substr(0, dot)) && digits(id.substr(dot + 1));
}

/// A field is absent when missing or JSON null (PHP SDKs may send nulls).
const boost::json::value* field(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

Status read_name(const boost::json::object& object, const channels::AppLimits& limits,
                 TriggerEvent& event) {
  const auto* name = field(object, "name");
  if (name == nullptr) return bad_request("Missing event name");
  if (!name->is_string()) return bad_request("Event name must be a string");
  event.name = std::string(name->get_string());
  if (event.name.empty()) return bad_request("Event name must not be empty");
  if (limits.max_event_name_length >= 0 &&
      character_count(event.name) > static_cast<std::size_t>(limits.max_event_name_length))
    return bad_request("Event name is longer than " +
                       std::to_string(limits.max_event_name_length) + " characters");
  // Only the server itself may emit pusher: and pusher_internal: events (3.3).
  if (event.name.starts_with(protocol::names::kPusherPrefix) ||
      event.name.starts_with(protocol::names::kInternalPrefix))
    return bad_request("Event names starting with pusher: or pusher_internal: are reserved");
  return Ok{};
}

Status read_data(const boost::json::object& object, const channels::AppLimits& limits,
                 TriggerEvent& event) {
  const auto* data = field(object, "data");
  if (data == nullptr) return bad_request("Missing event data");
  // Pusher's `data` is a string (usually JSON text). pws decision (5.5): any
  // other JSON value is forwarded as its compact JSON text, so the client
  // still sees a string.
  event.data = data->is_string() ? std::string(data->get_string()) : boost::json::serialize(*data);
  if (event.data.empty()) return bad_request("Event data must not be empty");
  if (event.data.size() > limits.max_event_payload_bytes())
    return make_error(Errc::PayloadTooLarge,
                      "Event data is larger than " +
                          std::to_string(limits.max_event_payload_in_kb) + " KB");
  return Ok{};
}

Status read_channels(const boost::json::object& object, const channels::AppLimits& limits,
                     EventSource source, TriggerEvent& event) {
  const auto* list = field(object, "channels");
  if (list != nullptr && source == EventSource::BatchItem)
    return bad_request("Batch items take one `channel`, not `channels`");

  std::vector<std::string> names;
  if (list != nullptr) {
    // `channels` wins over `channel` when both are given (pws decision, 5.5).
    if (!list->is_array()) return bad_request("`channels` must be an array of strings");
    const auto& array = list->get_array();
    if (array.empty()) return bad_request("`channels` must not be empty");
    if (limits.max_event_channels_at_once >= 0 &&
        array.size() > static_cast<std::size_t>(limits.max_event_channels_at_once))
      return bad_request("Too many channels: at most " +
                         std::to_string(limits.max_event_channels_at_once) + " per event");
    for (const auto& item : array) {
      if (!item.is_string()) return bad_request("`channels` must be an array of strings");
      names.emplace_back(item.get_string());
    }
  } else {
    const auto* single = field(object, "channel");
    if (single == nullptr) return bad_request("Missing channel or channels");
    if (!single->is_string()) return bad_request("`channel` must be a string");
    names.emplace_back(single->get_string());
  }

  const auto max_length = static_cast<std::size_t>(std::max(limits.max_channel_name_length, 0));
  bool encrypted = false;
  for (auto& name : names) {
    const auto check = protocol::check_channel_name(name, max_length);
    if (!check.valid) return bad_request(std::string(info(check.error).message) + ": " + name);
    encrypted = encrypted ||
                protocol::classify_channel(name).kind == protocol::ChannelKind::PrivateEncrypted;
    // Duplicates are delivered once (pws decision, 5.5); lists are short
    // (<= 100), so a linear scan is cheaper than a set.
    if (std::find(event.channels.begin(), event.channels.end(), name) == event.channels.end())
      event.channels.push_back(std::move(name));
  }
  // Each encrypted channel has its own key, so one payload cannot serve two (2.16).
  if (encrypted && event.channels.size() > 1)
    return bad_request("An event for a private-encrypted- channel must have exactly one channel");
  return Ok{};
}

Status read_options(const boost::json::object& object, TriggerEvent& event) {
  if (const auto* socket_id = field(object, "socket_id")) {
    if (!socket_id->is_string() || !is_socket_id(socket_id->get_string()))
      return bad_request("Invalid socket_id");
    event.socket_id = std::string(socket_id->get_string());
  }
  if (const auto* info = field(object, "info")) {
    if (!info->is_string()) return bad_request("`info` must be a comma-separated string");
    if (!info->get_string().empty()) event.info = parse_info(info->get_string());
  }
  return Ok{};
}

}  // namespace

Result<TriggerEvent> parse_trigger_event(const boost::json::object& object,
                                         const channels::AppLimits& limits, EventSource source) {
  TriggerEvent event;
  if (auto s = read_name(object, limits, event); !s) return s.error();
  if (auto s = read_data(object, limits, event); !s) return s.error();
  if (auto s = read_channels(object, limits, source, event); !s) return s.error();
  if (auto s = read_options(object, event); !s) return s.error();
  return event;
}

}  // namespace pws::http_api
