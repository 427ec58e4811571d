#include "registry/webhook_config.hpp"

#include <algorithm>
#include <cctype>

namespace pws::registry::detail {

namespace {

/// RFC 9110 token characters, for header names.
bool is_token(std::string_view name) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecials.find(c) != std::string_view::npos;
  });
}

/// No CR, LF or other control characters: a value that could end the header
/// line would let the config inject headers or a second request.
bool is_safe_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Headers pws sets itself on every webhook request.
bool is_reserved_header(std::string_view name) {
  static constexpr std::string_view kReserved[] = {"content-type", "content-length", "x-pusher-key",
                                                   "x-pusher-signature", "host", "transfer-encoding",
                                                   "connection"};
  const std::string l = lower(name);
  return std::find(std::begin(kReserved), std::end(kReserved), l) != std::end(kReserved);
}

void read_headers(TableReader& reader, channels::Webhook& hook) {
  const toml::table* headers = reader.read_table("headers");
  if (!headers) return;
  const std::string path = reader.field("headers");
  for (const auto& [key, value] : *headers) {
    const std::string name(key.str());
    const std::string field = path + "." + name;
    const auto* text = value.as_string();
    if (!text) {
      reader.diagnostics().add(value, field, type_mismatch(value, "a string"));
    } else if (!is_token(name)) {
      reader.diagnostics().add(value, field, "is not a valid header name");
    } else if (is_reserved_header(name)) {
      reader.diagnostics().add(value, field, "is set by pws itself and cannot be configured");
    } else if (!is_safe_header_value(text->get())) {
      reader.diagnostics().add(value, field, "must not contain line breaks or control characters");
    } else {
      hook.headers.emplace_back(name, text->get());
    }
  }
}

void read_filter(TableReader& reader, channels::Webhook& hook) {
  const toml::table* filter = reader.read_table("filter");
  if (!filter) return;
  TableReader filter_reader(*filter, reader.field("filter"), reader.diagnostics());
  filter_reader.read("channel_name_starts_with", hook.channel_name_starts_with);
  filter_reader.read("channel_name_ends_with", hook.channel_name_ends_with);
  filter_reader.report_unknown_keys();
}

channels::Webhook read_webhook(TableReader& reader) {
  channels::Webhook hook;
  if (!reader.has("url")) {
    reader.report_missing("url");
  } else if (std::string url; reader.read("url", url)) {
    if (const std::string problem = webhook_url_problem(url); !problem.empty())
      reader.diagnostics().add(*reader.get("url"), reader.field("url"), problem);
    else
      hook.url = std::move(url);
  }
  std::vector<std::string> types;
  if (reader.read("event_types", types)) {
    bool ok = !types.empty();
    if (!ok)
      reader.diagnostics().add(*reader.get("event_types"), reader.field("event_types"),
                               "must not be empty (leave it out for every type)");
    for (const auto& type : types) {
      if (std::find(std::begin(channels::kWebhookEventTypes), std::end(channels::kWebhookEventTypes), type) ==
          std::end(channels::kWebhookEventTypes)) {
        reader.diagnostics().add(*reader.get("event_types"), reader.field("event_types"),
                                 "unknown event type \"" + type +
                                     "\" (channel_occupied, channel_vacated, member_added, member_removed, "
                                     "client_event, cache_miss, subscription_count)");
        ok = false;
      }
    }
    if (ok) hook.event_types = std::move(types);
  }
  read_headers(reader, hook);
  read_filter(reader, hook);
  reader.report_unknown_keys();
  return hook;
}

}  // namespace

std::string webhook_url_problem(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://"))
    rest = url.substr(8);
  else if (url.starts_with("http://"))
    rest = url.substr(7);
  else
    return "must start with http:// or https://";
  if (rest.empty() || rest.front() == '/' || rest.front() == ':' || rest.front() == '?')
    return "must name a host";
  if (url.size() > 2048) return "must be at most 2048 characters";
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return "must not contain spaces, line breaks or control characters";
  }
  return {};
}

void read_webhooks(const toml::node& node, const std::string& path, Diagnostics& diagnostics,
                   std::vector<channels::Webhook>& out) {
  const auto* array = node.as_array();
  if (!array) {
    diagnostics.add(node, path, type_mismatch(node, "an array of tables ([[apps.webhooks]])"));
    return;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string where = path + "[" + std::to_string(i) + "]";
    const auto* table = element.as_table();
    if (!table) {
      diagnostics.add(element, where, type_mismatch(element, "a table"));
      continue;
    }
    TableReader reader(*table, where, diagnostics);
    channels::Webhook hook = read_webhook(reader);
    if (!hook.url.empty()) out.push_back(std::move(hook));
  }
}

}  // namespace pws::registry::detail
