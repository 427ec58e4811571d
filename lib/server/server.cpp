// Server: creates the libwebsockets context (one vhost serving WebSockets,
// the HTTP API and health checks on one port, optionally TLS), runs the
// service loop with a periodic sweep timer, and shuts down gracefully.
#include "server/server.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>

#include "registry/serve_config.hpp"
#include "server/open_file_limit.hpp"
#include "server/server_impl.hpp"
#include "server/tls_certificate.hpp"

namespace pws::server {

namespace {

constexpr int kSweepIntervalMs = 500;
constexpr unsigned kSweepsPerConfigCheck = 2;  // the registry file is checked every second
constexpr auto kStatisticsFlushDeadline = std::chrono::milliseconds(3000);

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::atomic<ServerImpl*> g_signal_target{nullptr};

void on_signal(int signal) {
  if (ServerImpl* s = g_signal_target.load()) {
    (signal == SIGHUP ? s->reload_requested : s->stop_requested).store(true);
    if (s->context) lws_cancel_service(s->context);
  }
}

void emit_lws_log(int level, const char* line) {
  std::fprintf(stderr, "pws: %s%s", level == LLL_ERR ? "error: " : "", line);
}

void on_sweep(lws_sorted_usec_list_t* sul) {
  ServerImpl* server = reinterpret_cast<SweepTimer*>(sul)->server;
  // Called from lws' C timer code: nothing may unwind through it, and the
  // timer must be rescheduled whatever happened.
  try {
    server->hub->sweep();
    server->sweep_watchers();
    if (server->cluster) server->cluster->tick();
    if (server->config_watch && ++server->sweeps % kSweepsPerConfigCheck == 0 && server->config_watch->changed())
      server->reload_registry("changed on disk");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pws: error: sweep failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "pws: error: sweep failed\n");
  }
  lws_sul_schedule(server->context, 0, &server->sweep_timer.sul, on_sweep,
                   static_cast<lws_usec_t>(kSweepIntervalMs) * LWS_US_PER_MS);
}

void on_statistics_timer(lws_sorted_usec_list_t* sul) {
  ServerImpl* server = reinterpret_cast<StatisticsTimer*>(sul)->server;
  try {
    server->statistics->sample(unix_ms_now());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pws: error: statistics sample failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "pws: error: statistics sample failed\n");
  }
  lws_sul_schedule(server->context, 0, &server->statistics_timer.sul, on_statistics_timer,
                   static_cast<lws_usec_t>(server->statistics->interval_ms()) * LWS_US_PER_MS);
}

/// lws takes an interface name or an address; a host name such as
/// "localhost" is resolved to its first address here.
Result<std::string> listen_address(const std::string& host) {
  if (host.empty() || host == "0.0.0.0") return std::string();
  unsigned char scratch[sizeof(in6_addr)];
  if (inet_pton(AF_INET, host.c_str(), scratch) == 1 || inet_pton(AF_INET6, host.c_str(), scratch) == 1)
    return host;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || !found)
    return make_error(Errc::Io, "cannot resolve host \"" + host + "\"");
  char text[INET6_ADDRSTRLEN] = {};
  const void* address = found->ai_family == AF_INET6
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr);
  inet_ntop(found->ai_family, address, text, sizeof text);
  freeaddrinfo(found);
  return std::string(text);
}

// Pusher clients send no Sec-WebSocket-Protocol, so the pws protocol must be
// the vhost default for upgrades (toolchain.md pitfall 2).
const lws_protocol_vhost_options kDefaultProtocolOption = {nullptr, nullptr, "default", "1"};
const lws_protocol_vhost_options kPwsProtocolOptions = {nullptr, &kDefaultProtocolOption, "pws", ""};

// The receive buffer dominates per-connection memory; Pusher frames are
// small and longer messages are assembled from several reads.
constexpr std::size_t kRxBufferSize = 1024;

webhooks::WebhooksSettings webhook_settings(const registry::WebhooksConfig& config) {
  webhooks::WebhooksSettings settings;
  webhooks::DeliverySettings& delivery = settings.sender.delivery;
  delivery.request_timeout_ms = std::int64_t{config.request_timeout_in_seconds} * 1000;
  delivery.retry_window_ms = std::int64_t{config.retry_window_in_seconds} * 1000;
  delivery.max_pending_events = static_cast<std::size_t>(config.max_pending_events);
  settings.shutdown_grace = std::chrono::seconds(config.shutdown_grace_in_seconds);
  return settings;
}

// lws' default policy arms a 300 s "validity" timer on every connection.
// Its timers are one sorted list, and a timer due later than all the others
// (each new connection's) is inserted after walking every connection's:
// 48 % of the server's CPU while opening 10,000 connections
// (perf, tests/bench/RESULTS.md). The hub has its own Pusher-level
// activity timeout and pings (section 8.3), so lws' check is switched off.
const uint32_t kNoRetries[] = {1000};
const lws_retry_bo_t kNoIdleChecks = {kNoRetries, 1, 0, 0, 0, 0};

const lws_protocols kProtocols[] = {
    {"http", http_callback, sizeof(void*), 0, 0, nullptr, 0},
    {"pws", websocket_callback, sizeof(void*), kRxBufferSize, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

ServerImpl::ServerImpl(registry::Config c) : config(std::move(c)) {
  channels::HubSettings settings;
  settings.activity_timeout_s = config.server.activity_timeout;
  settings.ping_interval_ms = config.server.ping_interval * 1000;
  settings.pong_timeout_ms = config.server.pong_timeout * 1000;
  settings.require_protocol = config.server.require_protocol;
  settings.max_connections = config.server.max_connections;
  hub = std::make_unique<channels::Hub>(outbox, clock, settings,
                                        std::make_shared<const channels::AppDirectory>(config.apps));
  http_api::ApiSettings api_settings;
  api_settings.path_prefix = config.server.path_prefix;
  api_settings.auth_timestamp_tolerance = config.server.auth_timestamp_tolerance;
  api_settings.metrics_enabled = config.metrics.enabled;
  api_settings.metrics_token = config.metrics.token;
  api_settings.version = PWS_VERSION;
  api = std::make_unique<http_api::Api>(*hub, clock, std::move(api_settings));
  if (config.statistics.enabled) {
    statistics = std::make_unique<StatisticsRecorder>(*hub, config.statistics,
                                                      registry::statistics_database_path(config));
    api->set_statistics_source(statistics.get());
  }
  if (!config.source.empty()) config_watch = std::make_unique<ConfigWatch>(config.source);
  feed = std::make_unique<EventFeed>(unix_ms_now,
                                     static_cast<std::size_t>(config.dashboard.max_event_data_size_in_bytes));
  if (config.dashboard.enabled) {
    dashboard::DashboardSettings dashboard_settings;
    dashboard_settings.path_prefix = config.server.path_prefix;
    dashboard_settings.path = config.dashboard.path;
    dashboard_settings.access.token = config.dashboard.token;
    dashboard_settings.access.open_on_loopback = config.dashboard.open_on_loopback;
    dashboard_settings.feed_data_limit = config.dashboard.max_event_data_size_in_bytes;
    dashboard_settings.version = PWS_VERSION;
    dashboard = std::make_unique<dashboard::Dashboard>(*hub, *api, clock, std::move(dashboard_settings));
  }
  hub->add_observer(feed.get());
  webhooks = std::make_unique<webhooks::Webhooks>(webhook_settings(config.webhooks));
  webhooks->set_apps(hub->apps());
  hub->add_observer(&webhooks->observer());
  api->set_webhook_figures(&webhooks->figures());
  if (config.server.debug) {
    console_log = std::make_unique<ConsoleLog>(stdout);
    hub->add_observer(console_log.get());
  }
}

ServerImpl::~ServerImpl() {
  // The context must go first: its close callbacks still reach the hub.
  destroy_context();
}

void ServerImpl::destroy_context() {
  if (context) {
    // The cluster's Redis threads wake this context: they must be gone
    // first (run() stopped them already; this is for a server never run).
    if (cluster) cluster->stop();
    loop.destroy_context(context);
    context = nullptr;
  }
}

http_api::Response ServerImpl::handle_http(const http_api::Request& request) {
  if (dashboard && dashboard->owns(request.path)) return dashboard->handle(request);
  return api->handle(request);
}

void ServerImpl::reload_registry(std::string_view why) {
  if (config.source.empty()) {
    std::fprintf(stderr, "pws: no config file to reload (apps come from PUSHER_APP_*)\n");
    return;
  }
  auto loaded = registry::reload_serve_config(config.source);
  if (!loaded) {
    std::fprintf(stderr, "pws: error: cannot reload %s (%.*s): %s; still serving the previous apps\n",
                 config.source.c_str(), static_cast<int>(why.size()), why.data(), loaded.error().message.c_str());
    return;
  }
  std::size_t added = 0, removed = 0;
  auto known = [](const std::vector<channels::App>& apps, const std::string& id) {
    for (const auto& app : apps)
      if (app.id == id) return true;
    return false;
  };
  for (const auto& app : loaded->apps) added += known(config.apps, app.id) ? 0 : 1;
  for (const auto& app : config.apps) removed += known(loaded->apps, app.id) ? 0 : 1;
  auto apps = std::make_shared<const channels::AppDirectory>(loaded->apps);
  // Webhooks first: the disconnections set_apps causes are reported under
  // the new configuration (new URLs and secrets apply to new events).
  webhooks->set_apps(*apps);
  hub->set_apps(std::move(apps));
  config.apps = std::move(loaded->apps);
  feed->close_stale(hub->apps());
  // New certificate files named in the config apply like renewed ones; TLS
  // cannot be switched on or off without a restart (the port is bound).
  const registry::TlsConfig& tls = loaded->server.tls;
  if (config.server.tls.enabled() && tls.enabled() &&
      (tls.cert_path != config.server.tls.cert_path || tls.key_path != config.server.tls.key_path ||
       tls.passphrase != config.server.tls.passphrase)) {
    config.server.tls = tls;
    if (why != "SIGHUP") reload_tls(why);  // SIGHUP reloads the certificate anyway
  }
  // Listening sockets, statistics, metrics and the [webhooks] settings are
  // set up once; the app registry and the TLS certificate are live.
  std::printf("pws: reloaded %s (%.*s): %zu apps, %zu added, %zu removed\n", config.source.c_str(),
              static_cast<int>(why.size()), why.data(), config.apps.size(), added, removed);
  std::fflush(stdout);
}

void ServerImpl::reload_tls(std::string_view why) {
  auto loaded = replace_certificate(tls_context, config.server.tls);
  if (!loaded) {
    std::fprintf(stderr, "pws: error: cannot reload the TLS certificate (%.*s): %s; still serving the previous one\n",
                 static_cast<int>(why.size()), why.data(), loaded.error().message.c_str());
    return;
  }
  std::printf("pws: reloaded the TLS certificate %s (%.*s): %s, %d intermediate%s, valid until %s\n",
              config.server.tls.cert_path.c_str(), static_cast<int>(why.size()), why.data(),
              loaded->subject.c_str(), loaded->chain_length, loaded->chain_length == 1 ? "" : "s",
              loaded->not_after.c_str());
  std::fflush(stdout);
}

void ServerImpl::begin_drain() {
  if (draining) return;
  draining = true;
  drain_deadline_ms = clock.monotonic_ms() + std::int64_t{config.server.shutdown_grace_in_seconds} * 1000;
  api->set_draining(true);
  // Section 8.5: every client gets 4200 and reconnects at once (elsewhere).
  hub->close_all(Errc::Reconnect);
  // Watchers saw those disconnections; now they go too.
  feed->close_all(info(Errc::Reconnect).code, info(Errc::Reconnect).message);
}

Server::Server(registry::Config config) : impl_(std::make_unique<ServerImpl>(std::move(config))) {}

Server::~Server() {
  ServerImpl* expected = impl_.get();
  g_signal_target.compare_exchange_strong(expected, nullptr);
}

void Server::add_websocket_route(std::string path, std::shared_ptr<WebSocketHandler> handler) {
  impl_->routes[std::move(path)] = std::move(handler);
}

Status Server::start() {
  ServerImpl& s = *impl_;
  const registry::ServerConfig& config = s.config.server;
  // Every connection is a descriptor: use all the hard limit allows
  // (systemd LimitNOFILE=), and say so up front when the configured capacity
  // cannot fit in it.
  const OpenFileLimit files = raise_open_file_limit();
  if (!files.error.empty())
    std::fprintf(stderr, "pws: warning: cannot raise the open-file limit: %s\n", files.error.c_str());
  if (const auto warning = capacity_warning(configured_capacity(s.config), files); !warning.empty())
    std::fprintf(stderr, "pws: warning: %s\n", warning.c_str());
  lws_set_log_level(LLL_ERR, emit_lws_log);

  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = config.port;
  auto address = listen_address(config.host);
  if (!address) return address.error();
  s.listen_address = std::move(address.value());
  info.iface = s.listen_address.empty() ? nullptr : s.listen_address.c_str();
  // With IPv6 on, lws opens an AF_INET6 socket and silently ignores an IPv4
  // address, listening everywhere instead: bind IPv4 addresses over IPv4.
  unsigned char v4[sizeof(in_addr)];
  if (!s.listen_address.empty() && inet_pton(AF_INET, s.listen_address.c_str(), v4) == 1)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.protocols = kProtocols;
  info.pvo = &kPwsProtocolOptions;
  info.user = &s;
  info.options |= LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  info.timeout_secs = 10;  // handshakes and stalled HTTP requests
  info.max_http_header_data = 8192;
  info.ka_time = 0;
  info.retry_and_idle_policy = &kNoIdleChecks;
  if (config.tls.enabled()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = config.tls.cert_path.c_str();
    info.ssl_private_key_filepath = config.tls.key_path.c_str();
    if (!config.tls.passphrase.empty()) info.ssl_private_key_password = config.tls.passphrase.c_str();
    info.alpn = "http/1.1";
    info.ssl_cipher_list = kTls12Ciphers;
    info.tls1_3_plus_cipher_list = nullptr;  // OpenSSL's TLS 1.3 suites: all AEAD
    info.ssl_options_set = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                           SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
  }

  if (config.tls.enabled()) {
    // lws would name the problem too, but leave a half-built context behind
    // that cannot be torn down safely on the libuv loop.
    if (auto checked = check_certificate(config.tls); !checked) return checked.error();
  }
  s.context = s.loop.create_context(info);
  if (!s.context) {
    return make_error(Errc::Io, "cannot listen on " + config.host + ":" + std::to_string(config.port) +
                                    (config.tls.enabled() ? " with the TLS certificate and key from the config"
                                                          : "") +
                                    " (port in use, or no permission?)");
  }
  s.vhost = lws_get_vhost_by_name(s.context, "default");
  s.port = s.vhost ? lws_get_vhost_listen_port(s.vhost) : 0;
  if (s.port <= 0) {
    // lws can create a context whose vhost failed to listen (bad address,
    // unusable certificate): refuse to pretend we are serving.
    s.loop.abandon_context(s.context);
    s.context = nullptr;
    return make_error(Errc::Io, "cannot listen on " + config.host + ":" + std::to_string(config.port));
  }
  if (s.config.redis.enabled()) s.join_cluster();
  s.sweep_timer.server = &s;
  lws_sul_schedule(s.context, 0, &s.sweep_timer.sul, on_sweep,
                   static_cast<lws_usec_t>(kSweepIntervalMs) * LWS_US_PER_MS);
  if (s.statistics) {
    s.statistics_timer.server = &s;
    lws_sul_schedule(s.context, 0, &s.statistics_timer.sul, on_statistics_timer,
                     static_cast<lws_usec_t>(s.statistics->interval_ms()) * LWS_US_PER_MS);
  }
  return Ok{};
}

void ServerImpl::join_cluster() {
  const registry::RedisConfig& redis = config.redis;
  cluster::ClusterSettings settings;
  settings.redis = cluster::RedisEndpoint{redis.host, redis.port, redis.username, redis.password, redis.database};
  settings.channel = redis.prefix + ":cluster";
  settings.node_id = redis.node_id.empty() ? cluster::default_node_id(port) : redis.node_id;
  settings.heartbeat_interval_ms = redis.heartbeat_interval_in_seconds * 1000;
  settings.node_timeout_ms = redis.node_timeout_in_seconds * 1000;
  lws_context* loop = context;
  cluster = std::make_unique<cluster::ClusterNode>(*hub, clock, std::move(settings),
                                                   [loop] { lws_cancel_service(loop); });
  api->set_cluster_figures(cluster.get());
  if (statistics) statistics->set_node(cluster->node_id());
  webhooks->set_transition_gate([node = cluster.get()] { return node->announces_transitions(); });
  std::printf("cluster: node %s, redis %s:%d, channel %s:cluster\n", cluster->node_id().c_str(),
              redis.host.c_str(), redis.port, redis.prefix.c_str());
  cluster->start();
}

int Server::port() const { return impl_->port; }

int Server::run() {
  ServerImpl& s = *impl_;
  PWS_ASSERT(s.context);
  g_signal_target.store(&s);
  struct sigaction action{};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  const std::string host = s.config.server.host.empty() ? "0.0.0.0" : s.config.server.host;
  std::printf("listening on %s:%d%s\n", host.c_str(), s.port, s.config.server.tls.enabled() ? " (tls)" : "");
  if (s.dashboard) {
    // Where to point a browser: a wildcard address is reachable as loopback.
    const bool wildcard = host == "0.0.0.0" || host == "::" || host == "[::]";
    const std::string shown = wildcard                                                   ? "127.0.0.1"
                              : host.find(':') != std::string::npos && host[0] != '[' ? "[" + host + "]"
                                                                                        : host;
    std::printf("dashboard: %s://%s:%d%s%s/\n", s.config.server.tls.enabled() ? "https" : "http", shown.c_str(), s.port, s.config.server.path_prefix.c_str(),
                s.config.dashboard.path.c_str());
  }
  std::fflush(stdout);

  while (s.loop.turn(s.context)) {
    if (s.cluster) s.cluster->poll();
    if (s.reload_requested.exchange(false) && !s.draining) {
      s.reload_registry("SIGHUP");
      if (s.config.server.tls.enabled()) s.reload_tls("SIGHUP");
    }
    if (s.stop_requested.load() && !s.draining) s.begin_drain();
    s.flush_writes();  // before the loop blocks again
    if (s.draining && (s.live_sessions == 0 || s.clock.monotonic_ms() >= s.drain_deadline_ms)) break;
  }
  lws_sul_cancel(&s.sweep_timer.sul);
  if (s.statistics) lws_sul_cancel(&s.statistics_timer.sul);
  // Before the context goes: the other nodes forget this one at once, and
  // the connections still open are not reported leaving one by one.
  if (s.cluster) s.cluster->stop();
  s.destroy_context();
  // After the last hub event (closing the context disconnects the rest):
  // queued webhooks get [webhooks] shutdown_grace_in_seconds to go out.
  s.webhooks->stop();
  // The interval in progress is written too: a graceful stop loses nothing.
  if (s.statistics) s.statistics->finish(unix_ms_now(), kStatisticsFlushDeadline);
  g_signal_target.store(nullptr);
  return 0;
}

void Server::stop() noexcept {
  impl_->stop_requested.store(true);
  if (impl_->context) lws_cancel_service(impl_->context);
}

}  // namespace pws::server
