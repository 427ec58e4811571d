// The feed's filters and human form of feed_event.hpp.
#include "client/feed_event.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace pws::client {

namespace {

/// The widest type ("member_removed") plus one blank.
constexpr std::size_t kTypeColumn = 15;

const char* type_color(std::string_view type) {
  if (type == "connected" || type == "occupied" || type == "member_added") return "\x1b[32m";       // green
  if (type == "disconnected" || type == "vacated" || type == "member_removed") return "\x1b[33m";  // yellow
  if (type == "subscribed" || type == "unsubscribed") return "\x1b[36m";                           // cyan
  if (type == "client_event") return "\x1b[35m";                                                    // magenta
  if (type == "api_message") return "\x1b[34m";                                                     // blue
  if (type == "error") return "\x1b[1;31m";                                                         // bold red
  return "\x1b[2m";                                                                                 // dim
}

/// `text` with control characters escaped (\n, \t, \r, \xNN), so that it
/// cannot break the line or reach the terminal as an escape sequence.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

/// A member as text: strings as they are, numbers and the rest serialised; nullopt when absent.
std::optional<std::string> member_text(const boost::json::object& event, std::string_view key) {
  const auto* value = event.if_contains(key);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (value->is_string()) return std::string(value->get_string());
  return boost::json::serialize(*value);
}

std::string clock_text(const boost::json::object& event) {
  const auto* value = event.if_contains("time_ms");
  std::int64_t ms = 0;
  if (value != nullptr && value->is_int64()) ms = value->get_int64();
  else if (value != nullptr && value->is_uint64()) ms = static_cast<std::int64_t>(value->get_uint64());
  else if (value != nullptr && value->is_double()) ms = static_cast<std::int64_t>(value->get_double());
  else return "--:--:--.---";
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  if (::localtime_r(&seconds, &local) == nullptr) return "--:--:--.---";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d", local.tm_hour, local.tm_min, local.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

bool glob_matches(const std::optional<std::string>& glob, const boost::json::object& event, std::string_view key) {
  if (!glob) return true;
  const auto* value = event.if_contains(key);
  if (value == nullptr || !value->is_string()) return false;
  const std::string text(value->get_string());
  return ::fnmatch(glob->c_str(), text.c_str(), 0) == 0;
}

}  // namespace

const std::vector<std::string_view>& feed_event_types() {
  static const std::vector<std::string_view> types{
      "connected",    "disconnected",   "subscribed",   "unsubscribed", "occupied", "vacated",
      "member_added", "member_removed", "client_event", "api_message",  "error"};
  return types;
}

Result<std::vector<std::string>> parse_feed_types(std::string_view list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    auto end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    auto item = list.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    start = end + 1;
    if (item.empty()) continue;
    const auto& known = feed_event_types();
    if (std::find(known.begin(), known.end(), item) == known.end()) {
      std::string all;
      for (const auto type : known) {
        if (!all.empty()) all += ", ";
        all.append(type);
      }
      return make_error(Errc::BadRequest, "unknown event type \"" + printable(item) + "\" (known: " + all + ")");
    }
    if (std::find(out.begin(), out.end(), item) == out.end()) out.emplace_back(item);
  }
  return out;
}

bool FeedFilter::matches(const boost::json::object& event) const {
  if (!types.empty()) {
    const auto type = feed_event_type(event);
    if (std::find(types.begin(), types.end(), type) == types.end()) return false;
  }
  return glob_matches(channel, event, "channel") && glob_matches(this->event, event, "event");
}

std::optional<boost::json::object> parse_feed_event(std::string_view text) {
  boost::json::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.get_object());
}

std::string_view feed_event_type(const boost::json::object& event) {
  const auto* type = event.if_contains("type");
  if (type == nullptr || !type->is_string()) return {};
  return type->get_string();
}

std::string format_feed_line(const boost::json::object& event, bool color) {
  std::string line = clock_text(event);
  line += "  ";
  const std::string type = printable(feed_event_type(event));
  if (color) line += type_color(type);
  line += type;
  if (color) line += "\x1b[0m";
  line.append(type.size() < kTypeColumn ? kTypeColumn - type.size() : 1, ' ');

  std::vector<std::string> fields;
  for (const char* key : {"socket_id", "channel", "event", "user_id"})
    if (auto text = member_text(event, key)) fields.push_back(printable(*text));
  if (auto data = member_text(event, "data")) {
    std::string shown = printable(*data);
    if (const auto* cut = event.if_contains("truncated"); cut != nullptr && cut->is_bool() && cut->get_bool())
      shown += "…";
    fields.push_back(std::move(shown));
  }
  for (const char* key : {"code", "message", "origin"})
    if (auto text = member_text(event, key)) fields.push_back(printable(*text));

  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += "  ";
    line += fields[i];
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace pws::client
