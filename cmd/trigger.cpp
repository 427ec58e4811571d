// pws trigger: publish an event through the HTTP API, as the server SDKs
// do (POST /apps/{id}/events), or many from NDJSON (batch_events, 10 per
// request). Everything is validated before anything is sent.
#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmd/api_command.hpp"
#include "cmd/commands.hpp"

namespace pws::cmd {

namespace {

constexpr std::size_t kMaxChannels = 100;
constexpr std::size_t kBatchChunk = 10;

struct TriggerOptions {
  ApiOptions api;
  std::vector<std::string> channels;
  std::string event;
  std::optional<std::string> data;
  std::optional<std::string> socket_id;
  std::optional<std::string> info;
  std::string batch_file;
  CLI::Option* batch = nullptr;
};

/// A JSON string's decoded value is the event data (like an SDK's trigger
/// with a string); any other JSON value is sent as its compact serialisation.
std::string event_data(const boost::json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  return boost::json::serialize(value);
}

/// Trims blanks and line ends at both ends.
std::string_view trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

/// The event data from --data, --data @FILE or stdin; nullopt after printing an error.
std::optional<std::string> read_data(const TriggerOptions& options, int& exit_code) {
  std::string text;
  std::string what;
  if (options.data && options.data->starts_with("@")) {
    const std::string file = options.data->substr(1);
    if (file.empty()) {
      // Not a silent stdin: "@" alone is more likely a forgotten name.
      print_error("--data @ needs a file name", "--data @FILE reads FILE, --data @- reads standard input");
      exit_code = kExitUsage;
      return std::nullopt;
    }
    auto read = read_input(file);
    if (!read) {
      print_error("--data " + *options.data + ": " + read.error().message);
      exit_code = kExitFailure;
      return std::nullopt;
    }
    text = std::move(*read);
    what = "--data " + *options.data;
  } else if (options.data) {
    text = *options.data;
    what = "--data";
  } else if (!is_terminal(stdin)) {
    auto read = read_input("-");
    if (!read) {
      print_error(read.error().message);
      exit_code = kExitFailure;
      return std::nullopt;
    }
    text = std::move(*read);
    what = "the data on standard input";
    if (trim(text).empty()) return std::string("{}");
  } else {
    return std::string("{}");
  }

  if (trim(text).empty()) {
    print_error(what + " is empty", "pass JSON, e.g. --data '{}'");
    exit_code = kExitUsage;
    return std::nullopt;
  }
  const auto value = parse_json_text(text);
  if (!value) {
    print_error(what + " is not valid JSON: " + value.error().message,
                "quote a string as JSON, e.g. --data '\"hello\"', or pass an object: --data '{\"text\":\"hello\"}'");
    exit_code = kExitUsage;
    return std::nullopt;
  }
  return event_data(*value);
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.append(separator);
    out += item;
  }
  return out;
}

int run_single(const GlobalOptions& global, const TriggerOptions& options) {
  if (options.channels.empty()) {
    print_error("--channel is required", "pws trigger --channel NAME --event NAME [--data JSON], or --batch FILE");
    return kExitUsage;
  }
  if (options.channels.size() > kMaxChannels) {
    print_error("at most " + std::to_string(kMaxChannels) + " channels per event (got " +
                    std::to_string(options.channels.size()) + ")",
                "split the channels over several triggers");
    return kExitUsage;
  }
  for (const auto& channel : options.channels) {
    if (const auto problem = channel_name_problem(channel); !problem.empty()) {
      print_error("--channel: " + problem, "nothing was sent");
      return kExitUsage;
    }
  }
  if (options.event.empty()) {
    print_error("--event is required", "pws trigger --channel NAME --event NAME [--data JSON]");
    return kExitUsage;
  }
  int exit_code = kExitOk;
  const auto data = read_data(options, exit_code);
  if (!data) return exit_code;

  const auto session = ApiSession::open(global, options.api, exit_code);
  if (!session) return exit_code;

  boost::json::object body;
  body["name"] = options.event;
  boost::json::array channels;
  for (const auto& channel : options.channels) channels.emplace_back(channel);
  body["channels"] = std::move(channels);
  body["data"] = *data;
  if (options.socket_id) body["socket_id"] = *options.socket_id;
  if (options.info) body["info"] = *options.info;

  // The answer is only read for --info (it is {} otherwise).
  const auto answer = answer_for_humans(global, session->post("events", boost::json::serialize(body), exit_code),
                                        exit_code, options.info.has_value());
  if (!answer) return exit_code;

  std::printf("triggered %s on %s\n", options.event.c_str(), join(options.channels, ", ").c_str());
  if (options.info) {
    const auto attributes = split_attributes(*options.info);
    std::vector<std::string> header{"CHANNEL"};
    for (const auto& attribute : attributes) header.push_back(column_name(attribute));
    Table table(std::move(header));
    const auto* listed = answer->if_contains("channels");
    for (const auto& channel : options.channels) {
      const boost::json::object* counts = nullptr;
      if (listed != nullptr && listed->is_object())
        if (const auto* entry = listed->get_object().if_contains(channel); entry != nullptr && entry->is_object())
          counts = &entry->get_object();
      std::vector<std::string> row{channel};
      for (const auto& attribute : attributes)
        row.push_back(cell_text(counts != nullptr ? counts->if_contains(attribute) : nullptr));
      table.add_row(std::move(row));
    }
    table.print(stdout);
  }
  return kExitOk;
}

/// One NDJSON line as a batch item, or an error message.
Result<boost::json::object> batch_item(std::string_view line) {
  const auto value = parse_json_text(line);
  if (!value) return make_error(Errc::BadRequest, "not valid JSON: " + value.error().message);
  if (!value->is_object()) return make_error(Errc::BadRequest, "not a JSON object");
  const auto& in = value->get_object();

  auto string_member = [&](std::string_view key, bool required) -> Result<std::optional<std::string>> {
    const auto* member = in.if_contains(key);
    if (member == nullptr) {
      if (required) return make_error(Errc::BadRequest, "missing \"" + std::string(key) + "\"");
      return std::optional<std::string>();
    }
    if (!member->is_string()) return make_error(Errc::BadRequest, "\"" + std::string(key) + "\" must be a string");
    if (member->get_string().empty())
      return make_error(Errc::BadRequest, "\"" + std::string(key) + "\" must not be empty");
    return std::optional<std::string>(std::string(member->get_string()));
  };

  for (const auto& member : in) {
    const std::string_view key = member.key();
    if (key != "channel" && key != "name" && key != "event" && key != "data" && key != "socket_id" && key != "info")
      return make_error(Errc::BadRequest, "unknown member \"" + std::string(key) +
                                              "\" (expected channel, name or event, data, socket_id, info)");
  }
  auto channel = string_member("channel", true);
  if (!channel) return channel.error();
  if (const auto problem = channel_name_problem(**channel); !problem.empty())
    return make_error(Errc::BadRequest, "\"channel\": " + problem);
  auto name = string_member("name", false);
  if (!name) return name.error();
  auto event = string_member("event", false);
  if (!event) return event.error();
  if (*name && *event && **name != **event)
    return make_error(Errc::BadRequest, "\"name\" and \"event\" differ (give one of them)");
  if (!*name && !*event) return make_error(Errc::BadRequest, "missing \"name\" (or \"event\")");
  const auto* data = in.if_contains("data");
  if (data == nullptr) return make_error(Errc::BadRequest, "missing \"data\"");
  auto socket_id = string_member("socket_id", false);
  if (!socket_id) return socket_id.error();
  auto info = string_member("info", false);
  if (!info) return info.error();

  boost::json::object out;
  out["channel"] = **channel;
  out["name"] = *name ? **name : **event;
  out["data"] = event_data(*data);
  if (*socket_id) out["socket_id"] = **socket_id;
  if (*info) out["info"] = **info;
  return out;
}

int run_batch(const GlobalOptions& global, const TriggerOptions& options) {
  const std::string& file = options.batch_file;
  const std::string source = file.empty() || file == "-" ? std::string("standard input") : file;
  auto text = read_input(file);
  if (!text) {
    print_error(text.error().message);
    return kExitFailure;
  }

  // Every line is checked before anything is sent.
  std::vector<boost::json::object> events;
  std::size_t line_number = 0;
  std::size_t start = 0;
  const std::string_view all = *text;
  while (start < all.size()) {
    auto end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    const auto line = trim(all.substr(start, end - start));
    start = end + 1;
    ++line_number;
    if (line.empty()) continue;
    auto item = batch_item(line);
    if (!item) {
      print_error(source + ", line " + std::to_string(line_number) + ": " + item.error().message,
                  "each line is one event: {\"channel\":\"c\",\"name\":\"e\",\"data\":{...}}; nothing was sent");
      return kExitUsage;
    }
    events.push_back(std::move(*item));
  }

  int exit_code = kExitOk;
  const auto session = ApiSession::open(global, options.api, exit_code);
  if (!session) return exit_code;

  const std::size_t requests = (events.size() + kBatchChunk - 1) / kBatchChunk;
  boost::json::array results;
  for (std::size_t r = 0; r < requests; ++r) {
    const std::size_t first = r * kBatchChunk;
    const std::size_t count = std::min(kBatchChunk, events.size() - first);
    boost::json::array batch;
    for (std::size_t i = first; i < first + count; ++i) batch.emplace_back(events[i]);
    boost::json::object body;
    body["batch"] = std::move(batch);
    const std::string note = "request " + std::to_string(r + 1) + " of " + std::to_string(requests) + ", events " +
                             std::to_string(first + 1) + "-" + std::to_string(first + count) + "; " +
                             (first == 0 ? std::string("nothing was sent")
                                         : "the first " + std::to_string(first) + " events were sent");
    const auto response = session->post("batch_events", boost::json::serialize(body), exit_code, note);
    if (!response) return exit_code;
    // {"batch":[...]} when an item asked for info; {} otherwise (one {} per event).
    boost::json::error_code ec;
    const auto answer = boost::json::parse(response->body, ec);
    const boost::json::value* items = nullptr;
    if (!ec && answer.is_object()) items = answer.get_object().if_contains("batch");
    if (items != nullptr && items->is_array()) {
      for (const auto& item : items->get_array()) results.push_back(item);
    } else {
      for (std::size_t i = 0; i < count; ++i) results.emplace_back(boost::json::object());
    }
  }

  if (global.json) {
    boost::json::object out;
    out["events"] = events.size();
    out["requests"] = requests;
    out["batch"] = std::move(results);
    std::printf("%s\n", boost::json::serialize(out).c_str());
    return kExitOk;
  }
  if (!global.quiet)
    std::printf("sent %zu event%s in %zu request%s\n", events.size(), events.size() == 1 ? "" : "s", requests,
                requests == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace

void setup_trigger(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto options = std::make_shared<TriggerOptions>();
  CLI::App* trigger = add_command(app, "trigger", "Publish an event to channels through the HTTP API", global);
  trigger->footer(
      "Data: --data JSON, --data @FILE, or standard input when it is not a terminal (default {}).\n"
      "A JSON string is sent as its decoded text; any other JSON value compactly serialised.\n"
      "--batch reads NDJSON lines {\"channel\":..,\"name\":..,\"data\":..,\"socket_id\"?:..,\"info\"?:..}\n"
      "and sends them 10 per request. Exit status: 0 ok, 1 server error, 2 usage,\n"
      "3 server unreachable, 4 credentials rejected.");
  auto* channel = trigger->add_option("--channel", options->channels, "Channel to publish on (repeat for up to 100)")
                      ->option_text("NAME")
                      ->take_all()
                      ->allow_extra_args(false);
  auto* event = trigger->add_option("--event", options->event, "Event name")->option_text("NAME");
  auto* data = trigger->add_option("--data", options->data, "Event data: JSON text, or @FILE (@- = stdin)")
                   ->option_text("JSON|@FILE");
  auto* socket_id = trigger->add_option("--socket-id", options->socket_id, "Exclude this connection from delivery")
                        ->option_text("ID");
  auto* info = trigger->add_option("--info", options->info,
                                   "Attributes to return per channel: subscription_count,user_count")
                   ->option_text("ATTRS");
  options->batch = trigger->add_option("--batch", options->batch_file,
                                       "Send NDJSON events from FILE (\"-\" or none: stdin), 10 per request")
                       ->expected(0, 1)
                       ->option_text("[FILE]");
  options->batch->excludes(channel)->excludes(event)->excludes(data)->excludes(socket_id)->excludes(info);
  add_api_options(*trigger, options->api);
  trigger->callback([&global, options, &exit_code] {
    exit_code = options->batch->count() > 0 ? run_batch(global, *options) : run_single(global, *options);
  });
}

}  // namespace pws::cmd
