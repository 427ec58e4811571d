// The event feed as `pws tail` shows it: the event types of the feed
// (/feed, one JSON object per WebSocket message), the --type/--channel/
// --event filters and the one-line human form of an event. Pure.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error/result.hpp"

namespace pws::client {

/// Every "type" a feed event can have (feed_started, the first frame, aside).
const std::vector<std::string_view>& feed_event_types();

/// "connected,subscribed" -> {"connected","subscribed"} (blanks trimmed, empty
/// items and repeats dropped). Errc::BadRequest naming an unknown type and
/// listing the known ones.
Result<std::vector<std::string>> parse_feed_types(std::string_view list);

/// What `pws tail` keeps: every filter given must match.
struct FeedFilter {
  std::vector<std::string> types;     ///< empty = every type
  std::optional<std::string> channel; ///< shell glob (fnmatch) on "channel"
  std::optional<std::string> event;   ///< shell glob (fnmatch) on "event"

  /// An event without the field a glob applies to does not match that glob.
  bool matches(const boost::json::object& event) const;
};

/// A feed message as a JSON object; nullopt for anything else.
std::optional<boost::json::object> parse_feed_event(std::string_view text);

/// The "type" member ("" when absent or not a string).
std::string_view feed_event_type(const boost::json::object& event);

/// "12:00:01.234  subscribed     123.456  orders": local time of time_ms,
/// the type padded, then the fields that apply (socket id, channel, event,
/// user id, data, then code, message, origin). Control characters are
/// escaped, so an event is always one line (no newline at the end). With
/// `color` the type is wrapped in an ANSI colour of its kind.
std::string format_feed_line(const boost::json::object& event, bool color);

}  // namespace pws::client
