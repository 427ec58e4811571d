// pws tail: watch an app's event feed live (the server's signed /feed
// WebSocket): one line per connection, subscription, client event, API
// message and error, or the feed's JSON objects unchanged with --json.
// Reconnects when an established connection drops; the first connection
// failing ends the command with the usual exit statuses.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "client/feed_event.hpp"
#include "client/ws_client.hpp"
#include "cmd/api_command.hpp"
#include "cmd/commands.hpp"
#include "http_api/signing.hpp"

namespace pws::cmd {

namespace {

constexpr std::chrono::milliseconds kFirstDelay{500};
constexpr std::chrono::milliseconds kMaxDelay{10000};

struct TailOptions {
  ApiOptions api;
  std::optional<std::string> channel;
  std::optional<std::string> event;
  std::optional<std::string> types;
};

std::atomic<client::WsClient*> g_client{nullptr};
volatile std::sig_atomic_t g_signalled = 0;

extern "C" void on_stop_signal(int) {
  g_signalled = 1;
  if (auto* ws = g_client.load()) ws->stop();
}

/// SIGINT/SIGTERM end the command (0); no SA_RESTART, so a blocked poll returns.
void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

/// "0.5 s", "1 s", "10 s".
std::string seconds_text(std::chrono::milliseconds delay) {
  const auto ms = delay.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

/// ws[s]://host:port/prefix/feed, for messages.
std::string feed_url(const client::Url& server) {
  std::string text = server.text();
  if (text.starts_with("https://")) text = "wss://" + text.substr(8);
  else if (text.starts_with("http://")) text = "ws://" + text.substr(7);
  return text + "/feed";
}

/// The signed target of the feed, signed afresh for every connection.
std::string feed_target(const client::ApiClient& api) {
  const auto& credentials = api.credentials();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  return api.server().path_prefix + "/feed?" +
         http_api::signed_query(credentials.key, credentials.secret, "GET", "/feed", "", now,
                                {{"app_id", credentials.app_id}});
}

/// Reports a failed first connection; returns the exit status.
int report_connect_error(const client::ApiClient& api, const client::WsConnectError& error) {
  const std::string url = feed_url(api.server());
  const auto& credentials = api.credentials();
  if (error.status == 0) {
    std::string hint = "is `pws serve` running at " + api.server().text() + "? (--url to point elsewhere)";
    const bool tls_failed = error.message.find("SSL") != std::string::npos ||
                            error.message.find("certificate") != std::string::npos ||
                            error.message.find("verif") != std::string::npos;
    if (tls_failed && api.server().tls && api.options().verify_tls)
      hint = "the TLS handshake failed: if the server's certificate is self-signed, -k/--insecure skips the check; "
             "else does " + api.server().text() + " speak TLS? (try http://)";
    else if (tls_failed)
      hint = "the TLS handshake failed: does " + api.server().text() + " speak TLS? (try http://)";
    print_error(error.message, hint);
    return kExitUnreachable;
  }
  const std::string status = "HTTP " + std::to_string(error.status);
  if (error.status == 401) {
    print_error("the server rejected the credentials of app " + credentials.app_id + " (" + status + ")",
                credentials.from_environment
                    ? "check PUSHER_APP_KEY and PUSHER_APP_SECRET (they must match the server's app " +
                          credentials.app_id + ")"
                    : "check the app's key and secret in " + credentials.source +
                          " (or PUSHER_APP_SECRET): they must match the server's");
    return kExitRejected;
  }
  if (error.status == 403) {
    print_error("the server refused app " + credentials.app_id + " (" + status + ")",
                "check that app " + credentials.app_id + " is enabled on the server at " + api.server().text());
    return kExitRejected;
  }
  if (error.status == 404) {
    print_error("the server at " + api.server().text() + " has no app " + credentials.app_id + " or no event feed (" +
                    status + " for " + url + ")",
                "is " + api.server().text() + " the server that uses " + credentials.source +
                    "? (--url, --app); the feed needs a pws that has it");
    return kExitFailure;
  }
  print_error("the server refused the event feed (" + status + " for " + url + ")");
  return kExitFailure;
}

/// Waits `delay`, returning early (false) when stopped.
bool pause_unless_stopped(const client::WsClient& ws, std::chrono::milliseconds delay) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!ws.stopped() && g_signalled == 0) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
  return false;
}

int run_tail(const GlobalOptions& global, const TailOptions& options) {
  client::FeedFilter filter;
  if (options.types) {
    auto types = client::parse_feed_types(*options.types);
    if (!types) {
      print_error("--type: " + types.error().message, "pass a comma list, e.g. --type connected,subscribed");
      return kExitUsage;
    }
    filter.types = std::move(*types);
  }
  filter.channel = options.channel;
  filter.event = options.event;

  int exit_code = kExitOk;
  const auto session = ApiSession::open(global, options.api, exit_code);
  if (!session) return exit_code;
  const auto& api = session->client();

  client::WsClient ws(api.server(), api.options());
  g_client.store(&ws);
  struct Unregister {
    ~Unregister() { g_client.store(nullptr); }
  } unregister;
  install_signal_handlers();
  if (g_signalled != 0) return kExitOk;

  const bool json = global.json;
  const bool color = !json && use_color(stdout);
  bool output_closed = false;
  const std::function<void(std::string_view)> on_message = [&](std::string_view text) {
    auto event = client::parse_feed_event(text);
    if (!event) {
      print_verbose(global, "ignored a feed message that is not a JSON object");
      return;
    }
    const auto type = client::feed_event_type(*event);
    if (type == "feed_started") {
      print_verbose(global, "feed started");
      return;
    }
    if (!filter.matches(*event)) return;
    std::string line = json ? std::string(text) : client::format_feed_line(*event, color);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
      // The reader went away (pws tail | head): nothing more to do.
      output_closed = true;
      ws.stop();
    }
  };

  const std::string url = feed_url(api.server());
  print_verbose(global, "connecting to " + url + " (app " + api.credentials().app_id + ")");
  if (auto error = ws.connect(feed_target(api))) {
    if (ws.stopped() || g_signalled != 0) return kExitOk;
    return report_connect_error(api, *error);
  }
  print_verbose(global, "connected; watching app " + api.credentials().app_id);

  // The delay doubles with every failed attempt and with every connection
  // that did not last (a server that accepts and closes at once is not
  // hammered); it starts over after a connection that held.
  auto delay = kFirstDelay;
  while (true) {
    const auto since = std::chrono::steady_clock::now();
    const auto end = ws.run(on_message);
    if (end.stopped || g_signalled != 0 || output_closed) return kExitOk;
    if (std::chrono::steady_clock::now() - since >= kMaxDelay) delay = kFirstDelay;
    if (end.close_code != 0)
      print_verbose(global, "the server closed the feed with code " + std::to_string(end.close_code) +
                                (end.reason.empty() ? std::string() : " (" + end.reason + ")"));
    // Reconnect until it works again or we are stopped.
    if (!global.quiet) std::fprintf(stderr, "pws: connection lost; reconnecting in %s\n", seconds_text(delay).c_str());
    while (true) {
      if (!pause_unless_stopped(ws, delay)) return kExitOk;
      delay = std::min(delay * 2, kMaxDelay);
      auto error = ws.connect(feed_target(api));
      if (ws.stopped() || g_signalled != 0) return kExitOk;
      if (!error) break;
      if (!global.quiet)
        std::fprintf(stderr, "pws: reconnecting failed (%s); retrying in %s\n", error->message.c_str(),
                     seconds_text(delay).c_str());
    }
    if (!global.quiet) std::fprintf(stderr, "pws: reconnected to %s\n", url.c_str());
  }
}

}  // namespace

void setup_tail(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto options = std::make_shared<TailOptions>();
  CLI::App* tail = add_command(app, "tail", "Watch an app's events live (connections, subscriptions, messages)", global);
  tail->footer(
      "One line per event: local time, type, then socket id, channel, event, user id, data.\n"
      "--json prints the server's JSON object per line (NDJSON). Types: connected, disconnected,\n"
      "subscribed, unsubscribed, occupied, vacated, member_added, member_removed, client_event,\n"
      "api_message, error. Reconnects (0.5 s doubling to 10 s) when an established connection\n"
      "drops; Ctrl-C ends it. Exit status: 0 stopped, 1 server error, 2 usage,\n"
      "3 server unreachable, 4 credentials rejected.");
  tail->add_option("--channel", options->channel, "Only events on channels matching this shell glob")
      ->option_text("GLOB");
  tail->add_option("--event", options->event, "Only events whose name matches this shell glob")->option_text("GLOB");
  tail->add_option("--type", options->types, "Only these event types (comma list, e.g. connected,subscribed)")
      ->option_text("TYPES");
  add_api_options(*tail, options->api);
  tail->callback([&global, options, &exit_code] { exit_code = run_tail(global, *options); });
}

}  // namespace pws::cmd
