// encode_event / encode_body: the webhook JSON written by hand, in the field
// order of the protocol reference's examples (7.3), so bodies are stable and
// the test vectors can be reproduced byte for byte.
#include "webhooks/webhook_event.hpp"

#include "channels/app.hpp"
#include "protocol/json_text.hpp"

namespace pws::webhooks {

std::string_view event_type_name(EventType type) noexcept {
  return channels::kWebhookEventTypes[static_cast<std::size_t>(type)];
}

std::optional<EventType> paired_type(EventType type) noexcept {
  switch (type) {
    case EventType::ChannelOccupied: return EventType::ChannelVacated;
    case EventType::ChannelVacated: return EventType::ChannelOccupied;
    case EventType::MemberAdded: return EventType::MemberRemoved;
    case EventType::MemberRemoved: return EventType::MemberAdded;
    default: return std::nullopt;
  }
}

bool is_vacancy(EventType type) noexcept {
  return type == EventType::ChannelVacated || type == EventType::MemberRemoved;
}

std::string encode_event(const WebhookEvent& e) {
  std::string out;
  out.reserve(48 + e.channel.size() + e.user_id.size() + e.event.size() + e.data.size() * 2 + e.socket_id.size());
  out += "{\"name\":";
  protocol::append_json_string(out, event_type_name(e.type));
  out += ",\"channel\":";
  protocol::append_json_string(out, e.channel);
  switch (e.type) {
    case EventType::MemberAdded:
    case EventType::MemberRemoved:
      out += ",\"user_id\":";
      protocol::append_json_string(out, e.user_id);
      break;
    case EventType::ClientEvent:
      out += ",\"event\":";
      protocol::append_json_string(out, e.event);
      out += ",\"data\":";
      protocol::append_json_string(out, e.data);
      out += ",\"socket_id\":";
      protocol::append_json_string(out, e.socket_id);
      // Only presence channels know who sent it (7.3).
      if (!e.user_id.empty()) {
        out += ",\"user_id\":";
        protocol::append_json_string(out, e.user_id);
      }
      break;
    case EventType::SubscriptionCount:
      out += ",\"subscription_count\":";
      out += std::to_string(e.subscription_count);
      break;
    default: break;
  }
  out += '}';
  return out;
}

std::string encode_body(std::int64_t time_ms, std::span<const std::string_view> events) {
  std::size_t size = 40;
  for (const auto event : events) size += event.size() + 1;
  std::string out;
  out.reserve(size);
  out += "{\"time_ms\":";
  out += std::to_string(time_ms);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (i) out += ',';
    out += events[i];
  }
  out += "]}";
  return out;
}

}  // namespace pws::webhooks
