// parse_config / load_config: pws.toml -> Config, validated strictly. Every
// problem in the file is reported (not just the first), each naming file,
// line and field. toml++ throws on syntax errors; the throw is caught here so
// nothing escapes the module.
//
// The format:
//
//   [server]
//   host = "0.0.0.0"
//   port = 6001                    # 0..65535, 0 = ephemeral
//   path_prefix = ""               # "" or "/x" (leading "/", no trailing "/")
//   activity_timeout = 30          # seconds, >= 1
//   ping_interval = 60             # seconds, >= 1
//   pong_timeout = 30              # seconds, >= 1
//   max_request_size_in_kb = 250   # >= 1
//   max_message_size_in_kb = 100   # >= 1
//   max_connections = -1           # -1 = unlimited, else >= 1
//   require_protocol = false
//   auth_timestamp_tolerance = 600 # seconds, >= 1
//   max_outbound_messages = 1000   # >= 1
//   max_outbound_bytes_in_kb = 1024
//   debug = false
//   shutdown_grace_in_seconds = 3  # 1..600: SIGTERM drain before exit
//   event_loops = 1                # 0..64, 0 = one per core
//
//   [server.tls]                   # optional; cert and key required when present
//   cert = "cert.pem"              # relative paths: against the file's directory
//   key = "key.pem"                #   (resolved by load_config)
//   passphrase = "..."             # optional
//
//   [statistics]
//   enabled = true                 # server-wide; apps also have enable_statistics
//   interval_in_seconds = 60       # 1..86400
//   database = "stats.sqlite"      # default: pws-statistics.sqlite beside this file
//   retention = "60d"              # default for `pws stats clean --older-than`
//
//   [metrics]
//   enabled = true                 # GET /metrics (Prometheus text)
//   token = ""                     # bearer token for non-loopback scrapers
//
//   [dashboard]
//   enabled = true                 # the page at {path_prefix}{path}
//   path = "/dashboard"            # "/x[/y]": leading "/", no trailing "/"
//   token = ""                     # opens it from anywhere (Authorization: Bearer)
//   open_on_loopback = true        # no credentials needed from this machine
//   max_event_data_size_in_bytes = 1024  # 16..1048576; longer data is cut in the feed
//
//   [webhooks]                     # delivery of every app's webhooks
//   request_timeout_in_seconds = 10   # 1..300, per attempt
//   retry_window_in_seconds = 300  # 0..86400; 0 = no retries
//   max_pending_events = 10000     # 1..1000000, per endpoint
//   shutdown_grace_in_seconds = 3  # 0..300
//
//   [redis]                        # join a cluster of nodes (absent: run alone)
//   url = "redis://127.0.0.1:6379" # redis://[[user]:password@]host[:port][/db]
//   prefix = "pws"                 # pub/sub channel prefix shared by the cluster
//   node_id = ""                   # default "<hostname>:<port>"
//   heartbeat_interval_in_seconds = 1  # 1..60
//   node_timeout_in_seconds = 5    # 2..600, > heartbeat interval
//
//   [limits]                       # defaults for every app's AppLimits fields
//   max_client_events_per_sec = 10
//
//   [[apps]]                       # zero or more
//   id = "1001"                    # required, non-empty; an integer becomes its decimal string
//   key = "pws-key"                # required, non-empty, unique
//   secret = "pws-secret"          # required, non-empty
//   name = "My app"                # defaults to the id
//   enabled = true
//   enable_client_messages = false
//   enable_statistics = true
//   enable_subscription_count = false
//   enable_user_authentication = false
//   user_authentication_timeout = 30000   # ms, >= 1
//   require_tls = false
//   allowed_origins = ["https://example.com", "*.example.org"]
//   enable_watchlist_events = false
//   webhook_batching = false       # several events per webhook request
//   webhook_batching_window_ms = 50   # 1..60000
//   webhook_vacate_delay_ms = 0    # 0..60000; hold channel_vacated / member_removed
//   max_client_events_per_sec = 20 # any AppLimits field, overriding [limits]
//
//   [[apps.webhooks]]              # zero or more per app (webhook_config.hpp)
//   url = "https://example.com/pusher/webhooks"
//
// Limits that Pusher treats as "-1 = unlimited" (protocol reference section
// 6: max_connections, max_client_events_per_sec, max_backend_events_per_sec,
// max_read_req_per_sec) accept -1; every other number must be >= 1. Sizes in
// KB are capped so that converting them to bytes in an int cannot overflow.
// Any other table or key is an error. Array indices in messages count from 0
// ("apps[0]" is the first [[apps]]).
#include <algorithm>
#include <cerrno>
#include <limits>
#include <map>
#include <variant>

#include "registry/config.hpp"
#include "registry/private_file.hpp"
#include "registry/toml_reader.hpp"
#include "registry/webhook_config.hpp"

namespace pws::registry {

namespace {

using channels::App;
using channels::AppLimits;
using detail::Diagnostics;
using detail::IntRange;
using detail::TableReader;

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr IntRange kPositive{1, kIntMax};
constexpr IntRange kPositiveKb{1, kIntMax / 1024};
constexpr IntRange kUnlimitedOrPositive{1, kIntMax, true};
constexpr IntRange kUnlimitedOrPositive64{1, kInt64Max, true};
constexpr IntRange kPort{0, 65535};

// ---- Limits ----

struct LimitField {
  std::string_view name;
  std::variant<int AppLimits::*, std::int64_t AppLimits::*> member;
  IntRange range;
};

const LimitField kLimitFields[] = {
    {"max_connections", &AppLimits::max_connections, kUnlimitedOrPositive64},
    {"max_client_events_per_sec", &AppLimits::max_client_events_per_sec, kUnlimitedOrPositive},
    {"max_event_payload_in_kb", &AppLimits::max_event_payload_in_kb, kPositiveKb},
    {"max_event_name_length", &AppLimits::max_event_name_length, kPositive},
    {"max_event_channels_at_once", &AppLimits::max_event_channels_at_once, kPositive},
    {"max_event_batch_size", &AppLimits::max_event_batch_size, kPositive},
    {"max_channel_name_length", &AppLimits::max_channel_name_length, kPositive},
    {"max_presence_members_per_channel", &AppLimits::max_presence_members_per_channel, kPositive},
    {"max_presence_member_size_in_kb", &AppLimits::max_presence_member_size_in_kb, kPositiveKb},
    {"max_user_id_length", &AppLimits::max_user_id_length, kPositive},
    {"max_subscriptions_per_connection", &AppLimits::max_subscriptions_per_connection, kPositive},
    {"max_backend_events_per_sec", &AppLimits::max_backend_events_per_sec, kUnlimitedOrPositive},
    {"max_read_req_per_sec", &AppLimits::max_read_req_per_sec, kUnlimitedOrPositive},
    {"max_watchlist_size", &AppLimits::max_watchlist_size, kPositive},
    {"cache_ttl", &AppLimits::cache_ttl, IntRange{1, 30 * 86400}},
};

void read_limits(TableReader& reader, AppLimits& limits) {
  for (const LimitField& f : kLimitFields)
    std::visit([&](auto member) { reader.read(f.name, limits.*member, f.range); }, f.member);
}

// ---- [server] ----

/// Reads a string that must be present and non-empty into `out`.
void read_required(TableReader& reader, std::string_view key, std::string& out) {
  if (!reader.has(key)) {
    reader.report_missing(key);
    return;
  }
  std::string value;
  if (!reader.read(key, value)) return;
  if (value.empty()) {
    reader.diagnostics().add(*reader.get(key), reader.field(key), "must not be empty");
    return;
  }
  out = std::move(value);
}

void read_tls(TableReader& reader, TlsConfig& tls) {
  read_required(reader, "cert", tls.cert_path);
  read_required(reader, "key", tls.key_path);
  reader.read("passphrase", tls.passphrase);
  reader.report_unknown_keys();
}

void read_server(TableReader& reader, ServerConfig& server) {
  std::string host;
  if (reader.read("host", host)) {
    if (host.empty())
      reader.diagnostics().add(*reader.get("host"), reader.field("host"), "must not be empty");
    else
      server.host = std::move(host);
  }
  reader.read("port", server.port, kPort);

  std::string prefix;
  if (reader.read("path_prefix", prefix)) {
    if (!prefix.empty() && (prefix.front() != '/' || prefix.back() == '/'))
      reader.diagnostics().add(*reader.get("path_prefix"), reader.field("path_prefix"),
                               "must be empty or start with \"/\" and not end with \"/\"");
    else
      server.path_prefix = std::move(prefix);
  }

  reader.read("activity_timeout", server.activity_timeout, kPositive);
  reader.read("ping_interval", server.ping_interval, kPositive);
  reader.read("pong_timeout", server.pong_timeout, kPositive);
  reader.read("max_request_size_in_kb", server.max_request_size_in_kb, kPositiveKb);
  reader.read("max_message_size_in_kb", server.max_message_size_in_kb, kPositiveKb);
  reader.read("max_connections", server.max_connections, kUnlimitedOrPositive64);
  reader.read("require_protocol", server.require_protocol);
  reader.read("auth_timestamp_tolerance", server.auth_timestamp_tolerance, kPositive);
  reader.read("max_outbound_messages", server.max_outbound_messages, kPositive);
  reader.read("max_outbound_bytes_in_kb", server.max_outbound_bytes_in_kb, kPositiveKb);
  reader.read("debug", server.debug);
  reader.read("shutdown_grace_in_seconds", server.shutdown_grace_in_seconds, IntRange{1, 600});
  reader.read("event_loops", server.event_loops, IntRange{0, kMaxEventLoops});

  if (const toml::table* tls = reader.read_table("tls")) {
    TableReader tls_reader(*tls, reader.field("tls"), reader.diagnostics());
    read_tls(tls_reader, server.tls);
  }
  reader.report_unknown_keys();
}

// ---- [statistics], [metrics] ----

void read_statistics(TableReader& reader, StatisticsConfig& statistics) {
  reader.read("enabled", statistics.enabled);
  reader.read("interval_in_seconds", statistics.interval_in_seconds, IntRange{1, 86400});
  if (reader.read("database", statistics.database) && statistics.database.empty())
    reader.diagnostics().add(*reader.get("database"), reader.field("database"),
                             "must not be empty (leave it out for the default)");
  std::string retention;
  if (reader.read("retention", retention)) {
    if (auto seconds = parse_duration(retention)) {
      statistics.retention_seconds = *seconds;
      statistics.retention = std::move(retention);
    } else {
      reader.diagnostics().add(*reader.get("retention"), reader.field("retention"), seconds.error().message);
    }
  }
  reader.report_unknown_keys();
}

void read_metrics(TableReader& reader, MetricsConfig& metrics) {
  reader.read("enabled", metrics.enabled);
  reader.read("token", metrics.token);
  reader.report_unknown_keys();
}

void read_dashboard(TableReader& reader, DashboardConfig& dashboard) {
  reader.read("enabled", dashboard.enabled);
  std::string path;
  if (reader.read("path", path)) {
    const bool reserved = path == "/feed" || path == "/app" || path == "/apps" || path == "/metrics" ||
                          path == "/up" || path == "/ready" || path.starts_with("/app/") ||
                          path.starts_with("/apps/");
    if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
        path.find_first_of("?#%\\ \t") != std::string::npos || path.find("//") != std::string::npos)
      reader.diagnostics().add(*reader.get("path"), reader.field("path"),
                               "must start with \"/\", not end with \"/\" and hold no spaces, \"?\", \"#\" or \"%\"");
    else if (reserved)
      reader.diagnostics().add(*reader.get("path"), reader.field("path"),
                               "\"" + path + "\" is used by the Pusher protocol or the HTTP API");
    else
      dashboard.path = std::move(path);
  }
  if (reader.read("token", dashboard.token) && !dashboard.token.empty() && dashboard.token.size() < 16)
    reader.diagnostics().add(*reader.get("token"), reader.field("token"),
                             "must be at least 16 characters (or \"\" for none)");
  reader.read("open_on_loopback", dashboard.open_on_loopback);
  reader.read("max_event_data_size_in_bytes", dashboard.max_event_data_size_in_bytes, IntRange{16, 1048576});
  reader.report_unknown_keys();
}

// ---- [webhooks] ----

// ---- [redis] ----

void read_redis(TableReader& reader, RedisConfig& redis) {
  std::string url;
  if (reader.read("url", url) && !url.empty()) {
    if (auto parsed = parse_redis_url(url, redis); !parsed)
      reader.diagnostics().add(*reader.get("url"), reader.field("url"), parsed.error().message);
  }
  std::string prefix;
  if (reader.read("prefix", prefix)) {
    const bool plain = !prefix.empty() && prefix.size() <= 64 &&
                       prefix.find_first_of(" \t\r\n*?[]") == std::string::npos;
    if (!plain)
      reader.diagnostics().add(*reader.get("prefix"), reader.field("prefix"),
                               "must be 1..64 characters without spaces or glob characters");
    else
      redis.prefix = std::move(prefix);
  }
  std::string node_id;
  if (reader.read("node_id", node_id)) {
    const bool printable = node_id.size() <= 128 && std::all_of(node_id.begin(), node_id.end(), [](char c) {
                             return static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
                           });
    if (!printable)
      reader.diagnostics().add(*reader.get("node_id"), reader.field("node_id"),
                               "must be at most 128 printable characters without spaces");
    else
      redis.node_id = std::move(node_id);
  }
  reader.read("heartbeat_interval_in_seconds", redis.heartbeat_interval_in_seconds, IntRange{1, 60});
  if (reader.read("node_timeout_in_seconds", redis.node_timeout_in_seconds, IntRange{2, 600}) &&
      redis.node_timeout_in_seconds <= redis.heartbeat_interval_in_seconds)
    reader.diagnostics().add(*reader.get("node_timeout_in_seconds"), reader.field("node_timeout_in_seconds"),
                             "must be longer than heartbeat_interval_in_seconds");
  reader.report_unknown_keys();
}

// Named apart from detail::read_webhooks, which reads an app's endpoints.
void read_webhooks_settings(TableReader& reader, WebhooksConfig& webhooks) {
  reader.read("request_timeout_in_seconds", webhooks.request_timeout_in_seconds, IntRange{1, 300});
  reader.read("retry_window_in_seconds", webhooks.retry_window_in_seconds, IntRange{0, 86400});
  reader.read("max_pending_events", webhooks.max_pending_events, IntRange{1, 1000000});
  reader.read("shutdown_grace_in_seconds", webhooks.shutdown_grace_in_seconds, IntRange{0, 300});
  reader.report_unknown_keys();
}

// ---- [[apps]] ----

/// An app plus where its id and key were written, for duplicate reports.
struct ParsedApp {
  App app;
  std::uint32_t id_line = 0;
  std::uint32_t key_line = 0;
};

void read_app_id(TableReader& reader, ParsedApp& parsed) {
  const toml::node* node = reader.get("id");
  if (!node) {
    reader.report_missing("id");
    return;
  }
  parsed.id_line = Diagnostics::line_of(*node);
  if (const auto* s = node->as_string()) {
    if (s->get().empty())
      reader.diagnostics().add(*node, reader.field("id"), "must not be empty");
    else
      parsed.app.id = s->get();
  } else if (const auto* i = node->as_integer()) {
    // Pusher app ids are numbers and people write them unquoted.
    if (i->get() < 0)
      reader.diagnostics().add(*node, reader.field("id"), "must not be negative");
    else
      parsed.app.id = std::to_string(i->get());
  } else {
    reader.report_type(*node, reader.field("id"), "a string or an integer");
  }
}

/// Credentials travel in URLs, signatures and webhook headers: a space or a
/// line break in one could only break those (or inject a header).
void refuse_unprintable(TableReader& reader, std::string_view key, std::string& value) {
  const bool bad = std::any_of(value.begin(), value.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
  if (!bad) return;
  reader.diagnostics().add(*reader.get(key), reader.field(key), "must not contain spaces or control characters");
  value.clear();
}

ParsedApp read_app(TableReader& reader, const AppLimits& default_limits) {
  ParsedApp parsed;
  App& app = parsed.app;
  app.limits = default_limits;

  read_app_id(reader, parsed);
  if (!app.id.empty()) refuse_unprintable(reader, "id", app.id);
  read_required(reader, "key", app.key);
  if (const toml::node* key = reader.get("key")) parsed.key_line = Diagnostics::line_of(*key);
  if (!app.key.empty()) refuse_unprintable(reader, "key", app.key);
  read_required(reader, "secret", app.secret);
  if (!app.secret.empty()) refuse_unprintable(reader, "secret", app.secret);
  if (!reader.read("name", app.name)) app.name = app.id;

  reader.read("enabled", app.enabled);
  reader.read("enable_client_messages", app.enable_client_messages);
  reader.read("enable_statistics", app.enable_statistics);
  reader.read("enable_subscription_count", app.enable_subscription_count);
  reader.read("enable_user_authentication", app.enable_user_authentication);
  reader.read("user_authentication_timeout", app.user_authentication_timeout_ms, kPositive);
  reader.read("require_tls", app.require_tls);

  std::vector<std::string> origins;
  if (reader.read("allowed_origins", origins)) {
    bool ok = true;
    for (const auto& origin : origins) {
      if (origin.empty()) {
        reader.diagnostics().add(*reader.get("allowed_origins"), reader.field("allowed_origins"),
                                 "must not contain an empty origin");
        ok = false;
        break;
      }
    }
    if (ok) app.allowed_origins = std::move(origins);
  }

  reader.read("enable_watchlist_events", app.enable_watchlist_events);
  reader.read("webhook_batching", app.webhook_batching);
  reader.read("webhook_batching_window_ms", app.webhook_batching_window_ms, IntRange{1, 60000});
  reader.read("webhook_vacate_delay_ms", app.webhook_vacate_delay_ms, IntRange{0, 60000});
  if (const toml::node* webhooks = reader.get("webhooks"))
    detail::read_webhooks(*webhooks, reader.field("webhooks"), reader.diagnostics(), app.webhooks);

  read_limits(reader, app.limits);
  reader.report_unknown_keys();
  return parsed;
}

/// Reports apps sharing an id or a key, naming both lines.
void check_duplicates(const std::vector<ParsedApp>& apps, Diagnostics& diagnostics) {
  std::map<std::string, std::size_t> ids;
  std::map<std::string, std::size_t> keys;
  auto where = [&](std::size_t index, std::uint32_t line) {
    std::string text = "apps[" + std::to_string(index) + "]";
    if (line != 0) text += " at " + diagnostics.source_name() + ':' + std::to_string(line);
    return text;
  };
  for (std::size_t i = 0; i < apps.size(); ++i) {
    const ParsedApp& p = apps[i];
    const std::string path = "apps[" + std::to_string(i) + "]";
    if (!p.app.id.empty()) {
      auto [it, inserted] = ids.emplace(p.app.id, i);
      if (!inserted)
        diagnostics.add(p.id_line, path + ".id",
                        "duplicate app id \"" + p.app.id + "\", already used by " +
                            where(it->second, apps[it->second].id_line));
    }
    if (!p.app.key.empty()) {
      auto [it, inserted] = keys.emplace(p.app.key, i);
      if (!inserted)
        diagnostics.add(p.key_line, path + ".key",
                        "duplicate app key \"" + p.app.key + "\", already used by " +
                            where(it->second, apps[it->second].key_line));
    }
  }
}

void read_apps(const toml::node& node, const AppLimits& default_limits, Diagnostics& diagnostics,
               std::vector<App>& out) {
  const auto* array = node.as_array();
  if (!array) {
    diagnostics.add(node, "apps", detail::type_mismatch(node, "an array of tables ([[apps]])"));
    return;
  }
  std::vector<ParsedApp> parsed;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string path = "apps[" + std::to_string(i) + "]";
    const auto* table = element.as_table();
    if (!table) {
      diagnostics.add(element, path, detail::type_mismatch(element, "a table"));
      continue;
    }
    TableReader reader(*table, path, diagnostics);
    parsed.push_back(read_app(reader, default_limits));
  }
  check_duplicates(parsed, diagnostics);
  for (auto& p : parsed) out.push_back(std::move(p.app));
}

}  // namespace

Result<Config> parse_config(std::string_view toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return make_error(Errc::InvalidConfig, source_name + ':' + std::to_string(at.line) + ':' +
                                               std::to_string(at.column) + ": " + std::string(e.description()));
  }

  Config config;
  Diagnostics diagnostics(source_name);
  TableReader reader(root, "", diagnostics);

  if (const toml::table* server = reader.read_table("server")) {
    TableReader server_reader(*server, "server", diagnostics);
    read_server(server_reader, config.server);
  }

  if (const toml::table* statistics = reader.read_table("statistics")) {
    TableReader statistics_reader(*statistics, "statistics", diagnostics);
    read_statistics(statistics_reader, config.statistics);
  }
  if (const toml::table* metrics = reader.read_table("metrics")) {
    TableReader metrics_reader(*metrics, "metrics", diagnostics);
    read_metrics(metrics_reader, config.metrics);
  }

  if (const toml::table* dashboard = reader.read_table("dashboard")) {
    TableReader dashboard_reader(*dashboard, "dashboard", diagnostics);
    read_dashboard(dashboard_reader, config.dashboard);
  }

  if (const toml::table* webhooks = reader.read_table("webhooks")) {
    TableReader webhooks_reader(*webhooks, "webhooks", diagnostics);
    read_webhooks_settings(webhooks_reader, config.webhooks);
  }

  if (const toml::table* redis = reader.read_table("redis")) {
    TableReader redis_reader(*redis, "redis", diagnostics);
    read_redis(redis_reader, config.redis);
  }

  // [limits] first: it is the base every app's limits start from.
  AppLimits default_limits;
  if (const toml::table* limits = reader.read_table("limits")) {
    TableReader limits_reader(*limits, "limits", diagnostics);
    read_limits(limits_reader, default_limits);
    limits_reader.report_unknown_keys();
  }

  if (const toml::node* apps = reader.get("apps")) read_apps(*apps, default_limits, diagnostics, config.apps);

  reader.report_unknown_keys();
  if (!diagnostics.empty()) return make_error(Errc::InvalidConfig, diagnostics.text());
  return config;
}

Result<Config> load_config(const std::filesystem::path& path) {
  auto text = detail::read_config_text(path);
  if (!text) return text.error();
  if (!*text) return detail::io_error("open config file", path, ENOENT);
  auto config = parse_config(**text, path.string());
  if (!config) return config;
  config->source = path;

  // TLS files are named relative to the config file, not to wherever pws
  // happens to be started from.
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  const std::filesystem::path dir = (ec ? path : absolute).parent_path();
  for (std::string* file : {&config->server.tls.cert_path, &config->server.tls.key_path}) {
    if (!file->empty() && std::filesystem::path(*file).is_relative()) *file = (dir / *file).string();
  }
  return config;
}

}  // namespace pws::registry
