// The shared plumbing of api_command.hpp.
#include "cmd/api_command.hpp"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "protocol/channel_name.hpp"
#include "registry/config.hpp"

namespace pws::cmd {

namespace {

/// One line, at most `max` bytes (cut on a UTF-8 boundary), for quoting a body.
std::string one_line(std::string_view text, std::size_t max = 200) {
  std::string out;
  for (const char c : text) {
    if (c == '\r') continue;
    out.push_back(c == '\n' || c == '\t' ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  while (!out.empty() && out.front() == ' ') out.erase(out.begin());
  if (out.size() > max) {
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

std::string reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "HTTP " + std::to_string(status);
  }
}

std::string with_note(std::string message, std::string_view note) {
  if (!note.empty()) {
    message += " (";
    message.append(note);
    message += ")";
  }
  return message;
}

}  // namespace

void add_api_options(CLI::App& command, ApiOptions& options) {
  command.add_option("--url", options.url,
                     "Server URL http[s]://host[:port][/prefix] (default: $PWS_URL, else from the config's [server])")
      ->option_text("URL");
  command.add_option("--app", options.app, "The app to act for, by id or name (default: the only app)")
      ->option_text("ID|NAME");
  command.add_option("--timeout", options.timeout_seconds, "Seconds to wait for the server (default 10)")
      ->check(seconds_check())
      ->option_text("SECS");
  command.add_flag("-k,--insecure", options.insecure, "Do not verify the server's TLS certificate");
}

std::optional<ApiSession> ApiSession::open(const GlobalOptions& global, const ApiOptions& options, int& exit_code) {
  // A named config that does not exist is a bad value (2); one that does not
  // parse is a failure (1), as for every other command.
  const auto config = load_cli_config(global, exit_code);
  if (!config) return std::nullopt;

  auto url = client::server_url(options.url, *config);
  if (!url) {
    print_error(url.error().message);
    exit_code = kExitUsage;
    return std::nullopt;
  }
  auto credentials = client::resolve_credentials(options.app, *config);
  if (!credentials) {
    const std::string known = client::describe_apps(*config);
    std::string hint;
    const bool env_partly_set = std::getenv("PUSHER_APP_ID") != nullptr || std::getenv("PUSHER_APP_KEY") != nullptr ||
                                std::getenv("PUSHER_APP_SECRET") != nullptr;
    if (!options.app && env_partly_set)
      hint = "set PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET together, or unset them to use the config's app";
    else if (options.app)
      hint = known.empty() ? "add an app with `pws apps add --name NAME`" : "pass --app with one of: " + known;
    else if (config->apps.size() > 1)
      hint = "pass --app with one of: " + known;
    else
      hint = "add an app with `pws apps add --name NAME`, point --config at the server's pws.toml, or set "
             "PUSHER_APP_ID, PUSHER_APP_KEY and PUSHER_APP_SECRET";
    print_error(credentials.error().message, hint);
    exit_code = kExitUsage;
    return std::nullopt;
  }
  print_verbose(global, "app " + credentials->app_id + " (credentials from " + credentials->source + ")");

  client::TransportOptions transport;
  transport.timeout = std::chrono::milliseconds(std::max<long long>(1, std::llround(options.timeout_seconds * 1000.0)));
  transport.verify_tls = !options.insecure;
  return ApiSession(global, client::ApiClient(std::move(*url), std::move(*credentials), std::move(transport)));
}

std::optional<client::HttpResponse> ApiSession::get(std::string_view resource,
                                                    std::vector<http_api::QueryParam> params, int& exit_code,
                                                    std::string_view note) const {
  const auto start = std::chrono::steady_clock::now();
  std::string shown = client_.server().text() + client_.path(resource);
  for (std::size_t i = 0; i < params.size(); ++i)
    shown += (i == 0 ? "?" : "&") + params[i].key + "=" + params[i].value;
  print_verbose(*global_, "GET " + shown);
  auto result = client_.get(resource, std::move(params));
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return finish("GET", resource, std::move(result), static_cast<long>(elapsed.count()), exit_code, note);
}

std::optional<client::HttpResponse> ApiSession::post(std::string_view resource, std::string_view json_body,
                                                     int& exit_code, std::string_view note) const {
  const auto start = std::chrono::steady_clock::now();
  print_verbose(*global_, "POST " + client_.server().text() + client_.path(resource) + " (" +
                              std::to_string(json_body.size()) + " bytes)");
  auto result = client_.post(resource, json_body);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return finish("POST", resource, std::move(result), static_cast<long>(elapsed.count()), exit_code, note);
}

std::optional<client::HttpResponse> ApiSession::finish(std::string_view, std::string_view,
                                                       Result<client::HttpResponse> result, long elapsed_ms,
                                                       int& exit_code, std::string_view note) const {
  const std::string url = client_.server().text();
  const auto& credentials = client_.credentials();
  if (!result) {
    const auto& error = result.error();
    if (error.code == Errc::Unreachable) {
      std::string hint = "is `pws serve` running at " + url + "? (--url to point elsewhere)";
      if (error.message.find("certificate verify failed") != std::string::npos)
        hint = "the server's certificate is not trusted here; -k/--insecure skips the check (self-signed "
               "certificates)";
      else if (error.message.find("TLS handshake") != std::string::npos)
        hint = "does " + url + " speak " + (client_.server().tls ? "TLS? (try http://)" : "plain HTTP?");
      print_error(with_note(error.message, note), hint);
      exit_code = kExitUnreachable;
    } else {
      print_error(with_note(error.message, note));
      exit_code = kExitFailure;
    }
    return std::nullopt;
  }

  auto& response = *result;
  print_verbose(*global_, "HTTP " + std::to_string(response.status) + " in " + std::to_string(elapsed_ms) + " ms");
  if (response.status >= 200 && response.status < 300) return std::move(response);

  const std::string text = server_error_text(response);
  const std::string status_and_text = std::to_string(response.status) + ": " + text;
  if (response.status == 401) {
    print_error(with_note("the server rejected the credentials of app " + credentials.app_id + " (" +
                              status_and_text + ")",
                          note),
                credentials.from_environment
                    ? std::string("check PUSHER_APP_KEY and PUSHER_APP_SECRET (they must match the server's app ") +
                          credentials.app_id + ")"
                    : "check the app's key and secret in " + credentials.source +
                          " (or PUSHER_APP_SECRET): they must match the server's");
    exit_code = kExitRejected;
  } else if (response.status == 403) {
    print_error(with_note("the server refused app " + credentials.app_id + " (" + status_and_text + ")", note),
                "check that app " + credentials.app_id + " is enabled on the server at " + url);
    exit_code = kExitRejected;
  } else if (response.status == 404 && text == "Unknown app id") {
    print_error(with_note("the server at " + url + " has no app " + credentials.app_id + " (" + status_and_text + ")",
                          note),
                "is " + url + " the server that uses " + credentials.source + "? (--url, --app)");
    exit_code = kExitFailure;
  } else {
    print_error(with_note("the server refused the request (" + status_and_text + ")", note));
    exit_code = kExitFailure;
  }
  return std::nullopt;
}

std::string server_error_text(const client::HttpResponse& response) {
  boost::json::error_code ec;
  const auto value = boost::json::parse(response.body, ec);
  if (!ec && value.is_object()) {
    const auto& object = value.get_object();
    for (const char* key : {"error", "message"}) {
      if (const auto* member = object.if_contains(key); member != nullptr && member->is_string() &&
                                                         !member->get_string().empty())
        return one_line(member->get_string());
    }
  }
  auto text = one_line(response.body);
  return text.empty() ? reason_phrase(response.status) : text;
}

std::optional<boost::json::object> parse_json_body(const client::HttpResponse& response, int& exit_code) {
  boost::json::error_code ec;
  auto value = boost::json::parse(response.body, ec);
  if (ec || !value.is_object()) {
    print_error("unexpected answer from the server (HTTP " + std::to_string(response.status) +
                "): not a JSON object: " + one_line(response.body, 120));
    exit_code = kExitFailure;
    return std::nullopt;
  }
  return std::move(value.get_object());
}

std::optional<boost::json::object> answer_for_humans(const GlobalOptions& global,
                                                     const std::optional<client::HttpResponse>& response,
                                                     int& exit_code, bool parse) {
  if (!response) return std::nullopt;
  if (global.json) {
    print_json_body(*response);
    return std::nullopt;
  }
  boost::json::object body;
  if (parse) {
    auto parsed = parse_json_body(*response, exit_code);
    if (!parsed) return std::nullopt;
    body = std::move(*parsed);
  }
  if (global.quiet) return std::nullopt;
  return body;
}

void print_json_body(const client::HttpResponse& response) {
  std::string body = response.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  body.push_back('\n');
  std::fwrite(body.data(), 1, body.size(), stdout);
}

std::string channel_name_problem(std::string_view name) {
  if (name.empty()) return "the channel name is empty";
  if (protocol::check_channel_name(name, std::string_view::npos).valid) return {};
  return "invalid channel name \"" + one_line(name, 80) +
         "\": channel names use only A-Z a-z 0-9 and _ - = @ , . ; (or are #server-to-user-ID)";
}

std::vector<std::string> split_attributes(std::string_view attributes) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= attributes.size()) {
    auto end = attributes.find(',', start);
    if (end == std::string_view::npos) end = attributes.size();
    auto item = attributes.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

std::string column_name(std::string_view attribute) {
  std::string out(attribute);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string cell_text(const boost::json::value* value) {
  if (value == nullptr) return "-";
  if (value->is_string()) return std::string(value->get_string());
  return boost::json::serialize(*value);
}

Result<boost::json::value> parse_json_text(std::string_view text) {
  boost::json::stream_parser parser;
  boost::json::error_code ec;
  std::size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec) {
    // Only blanks may follow the value.
    while (used < text.size() && (text[used] == ' ' || text[used] == '\t' || text[used] == '\r' || text[used] == '\n'))
      ++used;
    if (used < text.size()) {
      ec = boost::json::error::extra_data;
    } else {
      parser.finish(ec);
      if (!ec) return parser.release();
      used = text.size();
    }
  }
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < used && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  std::string where = used >= text.size() ? std::string("at the end of the text")
                                          : "at line " + std::to_string(line) + ", column " + std::to_string(column);
  return make_error(Errc::BadRequest, ec.message() + " " + where);
}

Result<std::string> read_input(const std::string& file) {
  const bool use_stdin = file.empty() || file == "-";
  std::FILE* in = use_stdin ? stdin : std::fopen(file.c_str(), "rb");
  const std::string name = use_stdin ? std::string("standard input") : file;
  if (in == nullptr) return make_error(Errc::Io, "cannot read " + name + ": " + std::strerror(errno));
  std::string text;
  char buf[65536];
  while (true) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, in);
    text.append(buf, n);
    if (n < sizeof buf) break;
  }
  const bool failed = std::ferror(in) != 0;
  const int saved = errno;
  if (!use_stdin) std::fclose(in);
  if (failed) return make_error(Errc::Io, "cannot read " + name + ": " + std::strerror(saved));
  return text;
}

}  // namespace pws::cmd
