// Config: everything pws.toml holds (server settings and the app registry),
// its discovery on disk and the embedded default. Loading validates strictly:
// unknown keys, wrong types, duplicate ids/keys and missing secrets are
// errors naming file, line and field; nothing is guessed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "channels/app.hpp"
#include "error/result.hpp"

namespace pws::registry {

struct TlsConfig {
  std::string cert_path;   ///< PEM certificate (chain)
  std::string key_path;    ///< PEM private key
  std::string passphrase;  ///< of the key, optional; never logged
  bool enabled() const noexcept { return !cert_path.empty(); }
};

inline constexpr int kMaxEventLoops = 64;

struct ServerConfig {
  std::string host = "0.0.0.0";
  int port = 6001;
  std::string path_prefix;              ///< e.g. "/ws"; "" = none
  int activity_timeout = 30;            ///< seconds, announced to clients
  int ping_interval = 60;               ///< seconds of silence before the server pings
  int pong_timeout = 30;                ///< seconds to answer a ping before 4201
  int max_request_size_in_kb = 250;     ///< HTTP request body limit (413)
  int max_message_size_in_kb = 100;     ///< WebSocket message limit (close 1009)
  std::int64_t max_connections = -1;    ///< server-wide cap (4100), -1 = none
  bool require_protocol = false;        ///< reject upgrades without ?protocol= (4008)
  int auth_timestamp_tolerance = 600;   ///< seconds, HTTP API signatures
  int max_outbound_messages = 1000;     ///< per-connection queue bound (4100 when over)
  int max_outbound_bytes_in_kb = 1024;  ///< per-connection queue bound (4100 when over)
  bool debug = false;                   ///< one console line per lifecycle event
  int shutdown_grace_in_seconds = 3;    ///< SIGTERM: clients' time to close before exit
  /// Event loops, each with its own listener and connections, joined like
  /// cluster nodes (lib/server/README.md); 0 = one per core.
  int event_loops = 1;
  TlsConfig tls;
};

/// [statistics]: per-app snapshots written to SQLite (issue 4).
struct StatisticsConfig {
  bool enabled = true;                       ///< server-wide switch; apps also have enable_statistics
  int interval_in_seconds = 60;              ///< one snapshot per app per interval
  std::string database;                      ///< as written; "" = default (statistics_database_path)
  std::int64_t retention_seconds = 60 * 86400;  ///< default of `pws stats clean --older-than`
  std::string retention = "60d";             ///< as written, for messages
};

/// [metrics]: GET /metrics in Prometheus text format.
struct MetricsConfig {
  bool enabled = true;
  /// Bearer token required from non-loopback clients; "" = loopback only.
  std::string token;
};

/// [dashboard]: the debug dashboard page and the live event feed it shares
/// with `pws tail`.
struct DashboardConfig {
  bool enabled = true;
  std::string path = "/dashboard";  ///< under [server] path_prefix
  /// Bearer token that opens the dashboard to every app from anywhere;
  /// "" = only loopback and app credentials (key + secret) open it.
  std::string token;
  bool open_on_loopback = true;  ///< no credentials needed from this machine
  /// Event data longer than this is cut (at a UTF-8 boundary) in the feed.
  int max_event_data_size_in_bytes = 1024;
};

/// [webhooks]: how webhook requests are delivered, for every app (the
/// endpoints themselves are per app, [[apps.webhooks]]).
struct WebhooksConfig {
  int request_timeout_in_seconds = 10;  ///< one attempt: connect, send, answer
  int retry_window_in_seconds = 300;    ///< retries stop this long after the first attempt
  int max_pending_events = 10000;       ///< per endpoint; beyond it events are dropped
  int shutdown_grace_in_seconds = 3;    ///< on stop, time left to deliver what is queued
};

/// [redis]: joins this node to a cluster (issue 7). Without a url the node
/// runs alone.
struct RedisConfig {
  std::string url;       ///< as written, "redis://[[user]:password@]host[:port][/db]"; "" = alone
  std::string host;      ///< parsed from url
  int port = 6379;       ///< parsed from url
  std::string username;  ///< parsed from url; "" = AUTH with the password only
  std::string password;  ///< parsed from url; never logged
  int database = 0;      ///< parsed from url (pub/sub ignores it; kept for AUTH/SELECT)
  std::string prefix = "pws";  ///< pub/sub channel prefix: nodes of one cluster share it
  std::string node_id;         ///< "" = "<hostname>:<port>" once the port is known
  int heartbeat_interval_in_seconds = 1;
  int node_timeout_in_seconds = 5;  ///< a silent node's connections are forgotten after this
  bool enabled() const noexcept { return !url.empty(); }
};

struct Config {
  ServerConfig server;
  StatisticsConfig statistics;
  MetricsConfig metrics;
  DashboardConfig dashboard;
  WebhooksConfig webhooks;
  RedisConfig redis;
  std::vector<channels::App> apps;
  /// File it was loaded from; empty when built in memory.
  std::filesystem::path source;
};

/// Parses TOML text. `source_name` is used in error messages ("pws.toml:12: ...").
Result<Config> parse_config(std::string_view toml_text, const std::string& source_name);

/// Reads and parses a file.
Result<Config> load_config(const std::filesystem::path& path);

/// The first existing file of: `explicit_path`, $PWS_CONFIG, ./pws.toml,
/// $XDG_CONFIG_HOME/pws/pws.toml (default ~/.config/pws/pws.toml),
/// /etc/pws/pws.toml. nullopt when none exists. An explicit path (argument or
/// $PWS_CONFIG) that does not exist is an error.
Result<std::optional<std::filesystem::path>> find_config(const std::optional<std::filesystem::path>& explicit_path);

/// Where a user-level config is created: $XDG_CONFIG_HOME/pws/pws.toml or
/// ~/.config/pws/pws.toml.
std::filesystem::path user_config_path();

/// An app with fresh random id, key and secret (OpenSSL CSPRNG).
channels::App generate_app(const std::string& name);

/// TOML text of a config holding `app` and commented server defaults.
std::string render_default_config(const channels::App& app);

/// Writes `text` to `path` atomically (temp file + rename) with mode 0600,
/// creating parent directories (0700).
Status write_private_file(const std::filesystem::path& path, const std::string& text);

/// The app defined by PUSHER_APP_ID / PUSHER_APP_KEY / PUSHER_APP_SECRET, if
/// all three are set; an error if only some are.
Result<std::optional<channels::App>> app_from_environment();

/// The `[[apps]]` block render_default_config writes for `app`, for appending
/// to an existing file.
std::string render_app_block(const channels::App& app);

/// Where statistics are stored: [statistics] database (relative to the config
/// file's directory), else "pws-statistics.sqlite" beside the config file,
/// else $XDG_DATA_HOME/pws/pws-statistics.sqlite (~/.local/share/pws/...).
std::filesystem::path statistics_database_path(const Config& config);

/// "90s", "15m", "24h", "60d", "2w" -> seconds. A positive integer and one
/// unit are required; anything else is Errc::InvalidConfig naming the text.
Result<std::int64_t> parse_duration(std::string_view text);

/// Fills url, host, port, username, password and database of `redis` from
/// "redis://[[user]:password@]host[:port][/db]" (percent-escapes allowed in
/// user and password); Errc::InvalidConfig saying what is wrong otherwise.
/// The message never repeats the password.
Status parse_redis_url(std::string_view url, RedisConfig& redis);

/// Adds `app` to `config`, refusing a duplicate id or key.
Status add_app(Config& config, channels::App app);

}  // namespace pws::registry
