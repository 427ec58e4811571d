// generate_app / render_default_config: the config `pws serve` writes on
// first start. The text is meant to be read and edited by people, so every
// setting is listed with its default (commented out unless the app sets
// something else), and it must load back through parse_config unchanged.
#include <cstdio>
#include <sstream>

#include "crypto/crypto.hpp"
#include "registry/config.hpp"

namespace pws::registry {

namespace {

using channels::App;
using channels::AppLimits;

/// `s` as a TOML basic string, quotes included.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string value(bool b) { return b ? "true" : "false"; }
std::string value(std::int64_t n) { return std::to_string(n); }
std::string value(int n) { return std::to_string(n); }
std::string value(const std::string& s) { return quote(s); }
std::string value(const std::vector<std::string>& list) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ", ";
    out += quote(list[i]);
  }
  return out + "]";
}

/// Writes "key = value", commented out when `value` is the default, with an
/// aligned trailing comment.
class Writer {
 public:
  template <class T>
  void setting(std::string_view key, const T& v, const T& default_value, std::string_view comment = {}) {
    line(v == default_value ? "# " : "", key, value(v), comment);
  }
  template <class T>
  void required(std::string_view key, const T& v, std::string_view comment = {}) {
    line("", key, value(v), comment);
  }
  void text(std::string_view s) { out_ << s; }
  std::string str() const { return out_.str(); }

 private:
  void line(std::string_view prefix, std::string_view key, const std::string& v, std::string_view comment) {
    std::string l(prefix);
    l += key;
    l += " = ";
    l += v;
    if (!comment.empty()) {
      if (l.size() < kCommentColumn) l.append(kCommentColumn - l.size(), ' ');
      else l += ' ';
      l += "# ";
      l += comment;
    }
    out_ << l << '\n';
  }
  static constexpr std::size_t kCommentColumn = 40;
  std::ostringstream out_;
};

void write_server(Writer& w) {
  const ServerConfig d;
  w.text("[server]\n");
  w.required("host", d.host, "address to listen on");
  w.required("port", d.port, "0 picks a free port");
  w.setting("path_prefix", d.path_prefix, d.path_prefix, "e.g. \"/ws\": serve /ws/app/{key}");
  w.setting("activity_timeout", d.activity_timeout, d.activity_timeout, "seconds, announced to clients");
  w.setting("ping_interval", d.ping_interval, d.ping_interval, "seconds of silence before pws pings");
  w.setting("pong_timeout", d.pong_timeout, d.pong_timeout, "seconds to answer a ping");
  w.setting("max_request_size_in_kb", d.max_request_size_in_kb, d.max_request_size_in_kb, "HTTP API body");
  w.setting("max_message_size_in_kb", d.max_message_size_in_kb, d.max_message_size_in_kb, "WebSocket message");
  w.setting("max_connections", d.max_connections, d.max_connections, "whole server, -1 = unlimited");
  w.setting("require_protocol", d.require_protocol, d.require_protocol, "reject clients without ?protocol=");
  w.setting("auth_timestamp_tolerance", d.auth_timestamp_tolerance, d.auth_timestamp_tolerance,
            "seconds, HTTP API signatures");
  w.setting("max_outbound_messages", d.max_outbound_messages, d.max_outbound_messages, "per-connection queue");
  w.setting("max_outbound_bytes_in_kb", d.max_outbound_bytes_in_kb, d.max_outbound_bytes_in_kb,
            "per-connection queue");
  w.setting("debug", d.debug, d.debug, "log every connection event");
  w.setting("shutdown_grace_in_seconds", d.shutdown_grace_in_seconds, d.shutdown_grace_in_seconds,
            "SIGTERM: how long clients get to close");
  w.setting("event_loops", d.event_loops, d.event_loops, "loops with their own connections, 0 = one per core");
  w.text(
      "\n"
      "# Serve wss:// and https:// directly (relative paths are against this file's directory).\n"
      "# [server.tls]\n"
      "# cert = \"cert.pem\"\n"
      "# key = \"key.pem\"\n"
      "# passphrase = \"\"                       # only if the key is encrypted\n"
      "\n"
      "# Defaults for every app's limits (any limit listed under [[apps]] below);\n"
      "# an app's own setting wins.\n"
      "# [limits]\n"
      "# max_client_events_per_sec = 10\n");
}

void write_limits(Writer& w, const AppLimits& limits) {
  const AppLimits d;
  w.setting("max_connections", limits.max_connections, d.max_connections, "-1 = unlimited");
  w.setting("max_client_events_per_sec", limits.max_client_events_per_sec, d.max_client_events_per_sec,
            "per connection, -1 = unlimited");
  w.setting("max_event_payload_in_kb", limits.max_event_payload_in_kb, d.max_event_payload_in_kb);
  w.setting("max_event_name_length", limits.max_event_name_length, d.max_event_name_length);
  w.setting("max_event_channels_at_once", limits.max_event_channels_at_once, d.max_event_channels_at_once);
  w.setting("max_event_batch_size", limits.max_event_batch_size, d.max_event_batch_size);
  w.setting("max_channel_name_length", limits.max_channel_name_length, d.max_channel_name_length);
  w.setting("max_presence_members_per_channel", limits.max_presence_members_per_channel,
            d.max_presence_members_per_channel);
  w.setting("max_presence_member_size_in_kb", limits.max_presence_member_size_in_kb,
            d.max_presence_member_size_in_kb);
  w.setting("max_user_id_length", limits.max_user_id_length, d.max_user_id_length);
  w.setting("max_subscriptions_per_connection", limits.max_subscriptions_per_connection,
            d.max_subscriptions_per_connection);
  w.setting("max_backend_events_per_sec", limits.max_backend_events_per_sec, d.max_backend_events_per_sec,
            "HTTP API publishes, -1 = unlimited");
  w.setting("max_read_req_per_sec", limits.max_read_req_per_sec, d.max_read_req_per_sec,
            "HTTP API reads, -1 = unlimited");
  w.setting("max_watchlist_size", limits.max_watchlist_size, d.max_watchlist_size);
  w.setting("cache_ttl", limits.cache_ttl, d.cache_ttl, "seconds a cache channel keeps its last event");
}

void write_app(Writer& w, const App& app) {
  const App d;
  w.text("[[apps]]\n");
  w.required("id", app.id);
  w.required("key", app.key);
  w.required("secret", app.secret, "keep it secret");
  w.required("name", app.name);
  w.setting("enabled", app.enabled, d.enabled);
  w.setting("enable_client_messages", app.enable_client_messages, d.enable_client_messages,
            "client-* events between clients");
  w.setting("enable_statistics", app.enable_statistics, d.enable_statistics);
  w.setting("enable_subscription_count", app.enable_subscription_count, d.enable_subscription_count);
  w.setting("enable_user_authentication", app.enable_user_authentication, d.enable_user_authentication,
            "require pusher:signin");
  w.setting("user_authentication_timeout", app.user_authentication_timeout_ms, d.user_authentication_timeout_ms,
            "ms to sign in");
  w.setting("require_tls", app.require_tls, d.require_tls);
  w.setting("allowed_origins", app.allowed_origins, d.allowed_origins, "e.g. [\"https://example.com\"]; [] = any");
  w.setting("enable_watchlist_events", app.enable_watchlist_events, d.enable_watchlist_events);
  w.setting("webhook_batching", app.webhook_batching, d.webhook_batching, "several events per webhook request");
  w.setting("webhook_batching_window_ms", app.webhook_batching_window_ms, d.webhook_batching_window_ms);
  w.setting("webhook_vacate_delay_ms", app.webhook_vacate_delay_ms, d.webhook_vacate_delay_ms,
            "hold channel_vacated / member_removed");
  w.text("# Limits for this app (the defaults, or [limits] above, otherwise):\n");
  write_limits(w, app.limits);
  w.text(
      "# Webhooks of this app, one table per endpoint:\n"
      "# [[apps.webhooks]]\n"
      "# url = \"https://example.com/pusher/webhooks\"\n"
      "# event_types = [\"channel_occupied\", \"channel_vacated\"]   # default: every type\n"
      "# headers = { \"X-Api-Token\" = \"...\" }\n"
      "# filter = { channel_name_starts_with = \"presence-\" }\n");
}

void write_statistics(Writer& w) {
  const StatisticsConfig d;
  w.text(
      "\n"
      "# Per-app snapshots (peak connections, WebSocket and API messages) for\n"
      "# `pws stats show`; prune them with `pws stats clean` from cron.\n"
      "[statistics]\n");
  w.setting("enabled", d.enabled, d.enabled);
  w.setting("interval_in_seconds", d.interval_in_seconds, d.interval_in_seconds, "one snapshot per app");
  w.setting("database", std::string("pws-statistics.sqlite"), std::string("pws-statistics.sqlite"),
            "relative to this file");
  w.setting("retention", d.retention, d.retention, "default of `pws stats clean`");
  w.text(
      "\n"
      "# GET /metrics in Prometheus text format: open to loopback; other\n"
      "# addresses need `Authorization: Bearer <token>`.\n"
      "[metrics]\n");
  const MetricsConfig m;
  w.setting("enabled", m.enabled, m.enabled);
  w.setting("token", m.token, m.token, "\"\" = loopback only");
  w.text(
      "\n"
      "# The debug dashboard (http://127.0.0.1:6001/dashboard/): open to this\n"
      "# machine; from elsewhere it asks for an app's key and secret, or the token.\n"
      "[dashboard]\n");
  const DashboardConfig b;
  w.setting("enabled", b.enabled, b.enabled);
  w.setting("path", b.path, b.path);
  w.setting("token", b.token, b.token, "opens every app from anywhere; \"\" = none");
  w.setting("open_on_loopback", b.open_on_loopback, b.open_on_loopback);
  w.setting("max_event_data_size_in_bytes", b.max_event_data_size_in_bytes, b.max_event_data_size_in_bytes,
            "longer event data is cut in the feed");
}

void write_webhooks(Writer& w) {
  const WebhooksConfig d;
  w.text(
      "\n"
      "# How webhooks (the [[apps.webhooks]] of each app) are delivered: failed\n"
      "# requests are retried after 1, 2, 4 ... s (at most 60 s apart).\n"
      "[webhooks]\n");
  w.setting("request_timeout_in_seconds", d.request_timeout_in_seconds, d.request_timeout_in_seconds,
            "per attempt");
  w.setting("retry_window_in_seconds", d.retry_window_in_seconds, d.retry_window_in_seconds,
            "then the events are dropped");
  w.setting("max_pending_events", d.max_pending_events, d.max_pending_events, "per endpoint; more are dropped");
  w.setting("shutdown_grace_in_seconds", d.shutdown_grace_in_seconds, d.shutdown_grace_in_seconds,
            "to deliver what is queued on stop");
}

}  // namespace

std::string render_app_block(const App& app) {
  Writer w;
  write_app(w, app);
  return w.str();
}

App generate_app(const std::string& name) {
  App app;
  app.id = std::to_string(crypto::random_between(100000, 999999999));
  app.key = crypto::random_hex(10);
  app.secret = crypto::random_hex(20);
  app.name = name;
  app.enable_client_messages = false;
  return app;
}

std::string render_default_config(const App& app) {
  Writer w;
  w.text(
      "# pws configuration — generated by `pws serve` on first start.\n"
      "#\n"
      "# pws reads the first of: --config, $PWS_CONFIG, ./pws.toml,\n"
      "# $XDG_CONFIG_HOME/pws/pws.toml (~/.config/pws/pws.toml), /etc/pws/pws.toml.\n"
      "# Commented-out settings show their defaults; unknown keys are errors.\n"
      "# This file holds app secrets: keep it private (mode 0600).\n"
      "\n");
  write_server(w);
  write_statistics(w);
  write_webhooks(w);
  w.text(
      "\n"
      "# One [[apps]] entry per application. Clients connect with the key;\n"
      "# the HTTP API is called with the id and signed with the secret.\n");
  write_app(w, app);
  return w.str();
}

}  // namespace pws::registry
