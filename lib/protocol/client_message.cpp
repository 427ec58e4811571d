#include "protocol/client_message.hpp"

#include <boost/json.hpp>

#include "protocol/names.hpp"

namespace pws::protocol {

namespace json = boost::json;

namespace {

Error invalid() { return make_error(Errc::InvalidMessage); }

/// The `data` of a pusher: event as an object: absent, null and non-JSON
/// strings become an empty object; a string holding JSON is parsed (1.8).
json::object protocol_data(const json::object& message) {
  const json::value* data = message.if_contains("data");
  if (!data) return {};
  if (data->is_object()) return data->get_object();
  if (data->is_string()) {
    boost::system::error_code ec;
    json::value parsed = json::parse(data->get_string(), ec);
    if (!ec && parsed.is_object()) return std::move(parsed.get_object());
  }
  return {};
}

std::optional<std::string> string_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

}  // namespace

Result<ClientEvent> parse_client_frame(std::string_view text) {
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec || !root.is_object()) return invalid();
  const json::object& message = root.get_object();
  const json::value* event_value = message.if_contains("event");
  if (!event_value || !event_value->is_string()) return invalid();
  const std::string_view event = event_value->get_string();

  if (event.starts_with(names::kClientPrefix)) {
    ClientTrigger trigger;
    trigger.event = std::string(event);
    trigger.channel = string_member(message, "channel").value_or("");
    const json::value* data = message.if_contains("data");
    if (data && data->is_string())
      trigger.data = std::string(data->get_string());
    else if (data)
      trigger.data = json::serialize(*data);
    else
      trigger.data = "null";
    return ClientEvent(std::move(trigger));
  }

  if (event == names::kPing) return ClientEvent(Ping{});
  if (event == names::kPong) return ClientEvent(Pong{});

  if (event == names::kSubscribe) {
    json::object data = protocol_data(message);
    auto channel = string_member(data, "channel");
    if (!channel) return invalid();
    Subscribe sub;
    sub.channel = std::move(*channel);
    sub.auth = string_member(data, "auth").value_or("");
    sub.channel_data = string_member(data, "channel_data");
    return ClientEvent(std::move(sub));
  }
  if (event == names::kUnsubscribe) {
    json::object data = protocol_data(message);
    auto channel = string_member(data, "channel");
    if (!channel) return invalid();
    return ClientEvent(Unsubscribe{std::move(*channel)});
  }
  if (event == names::kSignin) {
    json::object data = protocol_data(message);
    Signin signin;
    signin.auth = string_member(data, "auth").value_or("");
    signin.user_data = string_member(data, "user_data").value_or("");
    return ClientEvent(std::move(signin));
  }
  return ClientEvent(Ignored{std::string(event)});
}

}  // namespace pws::protocol
