// One event to trigger, read from a JSON object of POST /events or from one
// item of POST /batch_events, with every rule of
// ../shared/docs/pusher-protocol.md 5.5 / 5.6 applied. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "channels/app.hpp"
#include "error/result.hpp"
#include "http_api/channel_attributes.hpp"

namespace pws::http_api {

/// A validated event, ready for Hub::publish.
struct TriggerEvent {
  std::string name;
  std::string data;                   ///< as received, or compact JSON of a non-string value
  std::vector<std::string> channels;  ///< valid, duplicates removed, in order
  std::string socket_id;              ///< empty = deliver to everyone
  std::optional<InfoRequest> info;    ///< set when a non-empty `info` was given
};

enum class EventSource : unsigned char {
  Trigger,    ///< POST /events: `channels` (wins) or `channel`
  BatchItem,  ///< batch item: exactly one `channel`; `channels` is rejected
};

/// Reads and validates one event object against `limits`.
/// Errc::BadRequest for a missing or malformed field, a bad channel name, too
/// many channels or a reserved event name; Errc::PayloadTooLarge when `data`
/// exceeds limits.max_event_payload_bytes().
Result<TriggerEvent> parse_trigger_event(const boost::json::object& object,
                                         const channels::AppLimits& limits, EventSource source);

}  // namespace pws::http_api
