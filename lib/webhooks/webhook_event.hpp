// WebhookEvent: one event of protocol reference 7.3 as the hub produced it,
// and its JSON text as receivers get it inside `events`. Pure; no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pws::webhooks {

/// In the order of channels::kWebhookEventTypes, which spells the names.
enum class EventType : unsigned char {
  ChannelOccupied,
  ChannelVacated,
  MemberAdded,
  MemberRemoved,
  ClientEvent,
  CacheMiss,
  SubscriptionCount,
};

/// "channel_occupied", ... (the `name` field and the `event_types` entries).
std::string_view event_type_name(EventType type) noexcept;

/// The event that a webhook_vacate_delay_ms hold pairs `type` with:
/// occupied <-> vacated, member_added <-> member_removed; nullopt otherwise.
std::optional<EventType> paired_type(EventType type) noexcept;

/// True for the types a vacate delay holds back (channel_vacated, member_removed).
bool is_vacancy(EventType type) noexcept;

struct WebhookEvent {
  EventType type = EventType::ChannelOccupied;
  std::string channel;
  std::string user_id;    ///< member_*; client_event on presence channels only
  std::string event;      ///< client_event: the client event's name
  std::string data;       ///< client_event: the data string as relayed (2.9)
  std::string socket_id;  ///< client_event: the sender
  std::uint64_t subscription_count = 0;  ///< subscription_count
  std::int64_t time_ms = 0;  ///< Unix ms when it happened (the request's time_ms)
  std::int64_t at_ms = 0;    ///< monotonic ms when it happened (windows and delays)
};

/// `{"name":...,"channel":...,...}` with the fields of its type (7.3).
std::string encode_event(const WebhookEvent& event);

/// `{"time_ms":<time_ms>,"events":[<event>,...]}` from already encoded events.
std::string encode_body(std::int64_t time_ms, std::span<const std::string_view> events);

}  // namespace pws::webhooks
