// Server: creates the libwebsockets context (one vhost serving WebSockets,
// the HTTP API and health checks on one port, optionally TLS), runs the
// service loop with a periodic sweep timer, and shuts down gracefully. With
// [server] event_loops > 1, one such loop per thread, each with its own
// listener on the shared port.
#include "server/server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>

#include "registry/serve_config.hpp"
#include "server/open_file_limit.hpp"
#include "server/server_impl.hpp"
#include "server/shared_listener.hpp"
#include "server/signal_relay.hpp"
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

// Heartbeats between the loops of one process carry each loop's connection
// counts (per-app quotas); in-process they cost next to nothing.
constexpr int kLoopHeartbeatMs = 100;
constexpr int kLoopTimeoutMs = 30'000;
constexpr int kCacheMissIntervalMs = 1000;  // one cache_miss webhook a second per channel (2.12)

int resolve_event_loops(int configured) {
  if (configured > 0) return configured;
  const unsigned cores = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(cores, 1u, static_cast<unsigned>(registry::kMaxEventLoops)));
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
Result<std::string> resolve_listen_address(const std::string& host) {
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
    {kListenerProtocol, listener_callback, 0, 0, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

ServerImpl::ServerImpl(registry::Config c, LoopPlacement where) : placement(std::move(where)), config(std::move(c)) {
  channels::HubSettings settings;
  settings.ledger = placement.connections.get();
  settings.cache_miss_throttle = placement.cache_misses.get();
  settings.shared_counters = placement.counters.get();
  settings.join_sequence = placement.join_sequence.get();
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
  // With several loops, the first writes for all (Server::Server gives the others a reader).
  if (config.statistics.enabled && placement.index == 0) {
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
  if (placement.webhook_figures) {
    placement.webhook_figures->add(&webhooks->figures());
    api->set_webhook_figures(placement.webhook_figures.get());
  }
  if (config.server.debug) {
    console_log = std::make_unique<ConsoleLog>(stdout, speaks_for_process());
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
    {
      std::lock_guard lock(wake_mutex);  // no other thread is inside wake() now, nor will be
      wakeable = nullptr;
    }
    if (feed_relay) feed_relay->detach();
    if (placement.drain) placement.drain->leave(context);
    loop.destroy_context(context);
    context = nullptr;
  }
}

http_api::Response ServerImpl::handle_http(const http_api::Request& request) {
  catch_up();
  if (dashboard && dashboard->owns(request.path)) return dashboard->handle(request);
  return api->handle(request);
}

void ServerImpl::reload_registry(std::string_view why) {
  if (config.source.empty()) {
    if (speaks_for_process()) std::fprintf(stderr, "pws: no config file to reload (apps come from PUSHER_APP_*)\n");
    return;
  }
  auto loaded = registry::reload_serve_config(config.source);
  if (!loaded) {
    if (speaks_for_process())
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
  if (!speaks_for_process()) return;
  std::printf("pws: reloaded %s (%.*s): %zu apps, %zu added, %zu removed\n", config.source.c_str(),
              static_cast<int>(why.size()), why.data(), config.apps.size(), added, removed);
  std::fflush(stdout);
}

void ServerImpl::reload_tls(std::string_view why) {
  auto loaded = replace_certificate(tls_context, config.server.tls);
  if (!speaks_for_process()) return;
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
  if (placement.drain) placement.drain->arrive();
  close_watchers_when_drained();
}

void ServerImpl::close_watchers_when_drained() {
  if (!watchers_open || (placement.drain && !placement.drain->all_arrived())) return;
  watchers_open = false;
  // Watchers saw those disconnections (every loop's: catch_up replays the
  // relayed ones); now they go too.
  catch_up();
  feed->close_all(info(Errc::Reconnect).code, info(Errc::Reconnect).message);
}

Server::Server(registry::Config config) {
  int count = resolve_event_loops(config.server.event_loops);
  if (count > 1 && config.redis.enabled()) {
    // A node of a Redis cluster is one hub: the loops' own cluster seam would
    // have to be bridged to Redis (lib/server/README.md).
    std::fprintf(stderr, "pws: warning: [redis] is on: serving on one event loop (event_loops = %d ignored)\n",
                 config.server.event_loops);
    count = 1;
  }
  LoopPlacement first;
  if (count > 1) {
    first.count = count;
    first.exchange = std::make_shared<cluster::LocalExchange>();
    first.feed_exchange = std::make_shared<FeedExchange>();
    first.connections = std::make_shared<channels::ConnectionLedger>();
    first.cache_misses = std::make_shared<channels::SharedThrottle>(kCacheMissIntervalMs);
    first.counters = std::make_shared<channels::SharedCounters>();
    first.join_sequence = std::make_shared<std::atomic<std::uint64_t>>(0);
    first.webhook_figures = std::make_shared<WebhookFiguresSum>();
    first.drain = std::make_shared<DrainBarrier>(count);
    // Every core has a loop: its own writes are its share of a broadcast.
    first.write_helpers = 0;
  }
  for (int index = 0; index < count; ++index) {
    LoopPlacement where = first;
    where.index = index;
    loops_.push_back(std::make_unique<ServerImpl>(config, std::move(where)));
    if (index == 0) continue;
    ServerImpl& loop = *loops_.back();
    const ServerImpl& first_loop = *loops_.front();
    loop.api->share_with(*first_loop.api);
    if (first_loop.statistics) {
      // The first loop samples every loop's counters and writes; this one reads.
      loop.statistics = std::make_unique<StatisticsRecorder>(*first_loop.statistics, *loop.hub);
      loop.api->set_statistics_source(loop.statistics.get());
    }
  }
}

Server::~Server() = default;

void Server::add_websocket_route(std::string path, std::shared_ptr<WebSocketHandler> handler) {
  for (auto& loop : loops_) loop->routes[path] = handler;
}

Status Server::start() {
  ServerImpl& first = *loops_.front();
  if (loops_.size() > 1 && !first.routes.empty())
    // A handler is one object: with several loops it would be called from
    // several threads, and could write to another loop's connections.
    return make_error(Errc::InvalidConfig, "custom WebSocket endpoints need one event loop: set [server] event_loops = 1");
  // Every connection is a descriptor: use all the hard limit allows
  // (systemd LimitNOFILE=), and say so up front when the configured capacity
  // cannot fit in it.
  const OpenFileLimit files = raise_open_file_limit();
  if (!files.error.empty())
    std::fprintf(stderr, "pws: warning: cannot raise the open-file limit: %s\n", files.error.c_str());
  if (const auto warning = capacity_warning(configured_capacity(first.config), files); !warning.empty())
    std::fprintf(stderr, "pws: warning: %s\n", warning.c_str());
  lws_set_log_level(LLL_ERR, emit_lws_log);
  if (first.config.server.tls.enabled()) {
    // lws would name the problem too, but leave a half-built context behind
    // that cannot be torn down safely on the libuv loop.
    if (auto checked = check_certificate(first.config.server.tls); !checked) return checked.error();
  }
  // The first loop binds the configured port (0 = a free one); the others
  // share the port it got.
  for (auto& loop : loops_) {
    const int port = loop.get() == &first ? first.config.server.port : first.port;
    if (auto started = loop->start_loop(port); !started) return started;
  }
  return Ok{};
}

Status ServerImpl::start_loop(int port_to_bind) {
  const registry::ServerConfig& server = config.server;
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof info);
  info.port = port_to_bind;
  auto address = resolve_listen_address(server.host);
  if (!address) return address.error();
  listen_address = std::move(address.value());
  if (placement.count > 1) {
    // lws 4.1 cannot share a port between contexts (shared_listener.hpp).
    auto listener = open_shared_listener(listen_address, port_to_bind);
    if (!listener)
      return make_error(Errc::Io, "cannot listen on " + server.host + ":" + std::to_string(port_to_bind) + " (" +
                                      listener.error().message + ")");
    listen_fd = *listener;
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
  }
  info.iface = listen_address.empty() ? nullptr : listen_address.c_str();
  // With IPv6 on, lws opens an AF_INET6 socket and silently ignores an IPv4
  // address, listening everywhere instead: bind IPv4 addresses over IPv4.
  unsigned char v4[sizeof(in_addr)];
  if (!listen_address.empty() && inet_pton(AF_INET, listen_address.c_str(), v4) == 1)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.protocols = kProtocols;
  info.pvo = &kPwsProtocolOptions;
  info.user = this;
  info.options |= LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
  info.timeout_secs = 10;  // handshakes and stalled HTTP requests
  info.max_http_header_data = 8192;
  info.ka_time = 0;
  info.retry_and_idle_policy = &kNoIdleChecks;
  if (server.tls.enabled()) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = server.tls.cert_path.c_str();
    info.ssl_private_key_filepath = server.tls.key_path.c_str();
    if (!server.tls.passphrase.empty()) info.ssl_private_key_password = server.tls.passphrase.c_str();
    info.alpn = "http/1.1";
    info.ssl_cipher_list = kTls12Ciphers;
    info.tls1_3_plus_cipher_list = nullptr;  // OpenSSL's TLS 1.3 suites: all AEAD
    info.ssl_options_set = SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                           SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
  }

  const auto cannot_listen = [&] {
    if (listen_fd >= 0) ::close(listen_fd);
    listen_fd = -1;
    return make_error(Errc::Io, "cannot listen on " + server.host + ":" + std::to_string(port_to_bind) +
                                    (server.tls.enabled() ? " with the TLS certificate and key from the config" : "") +
                                    " (port in use, or no permission?)");
  };
  context = loop.create_context(info);
  if (!context) return cannot_listen();
  vhost = lws_get_vhost_by_name(context, "default");
  if (listen_fd >= 0) {
    port = vhost ? bound_port(listen_fd) : 0;
    if (port > 0 && !adopt_listener(vhost, listen_fd)) port = 0;
    else if (port > 0) listen_fd = -1;  // lws owns it now
  } else {
    port = vhost ? lws_get_vhost_listen_port(vhost) : 0;
  }
  if (port <= 0) {
    // lws can create a context whose vhost failed to listen (bad address,
    // unusable certificate): refuse to pretend we are serving.
    loop.abandon_context(context);
    context = nullptr;
    return cannot_listen();
  }
  {
    std::lock_guard lock(wake_mutex);
    wakeable = context;
  }
  if (config.redis.enabled() || placement.count > 1) join_cluster();
  if (placement.drain) placement.drain->join(context);
  if (placement.feed_exchange) {
    lws_context* loop_context = context;
    feed_relay = std::make_unique<FeedRelay>(placement.feed_exchange, [loop_context] { lws_cancel_service(loop_context); });
    feed->count_watchers_in(&placement.feed_exchange->watchers());
    hub->add_observer(feed_relay.get());
  }
  sweep_timer.server = this;
  lws_sul_schedule(context, 0, &sweep_timer.sul, on_sweep, static_cast<lws_usec_t>(kSweepIntervalMs) * LWS_US_PER_MS);
  if (statistics && statistics->writes()) {
    statistics_timer.server = this;
    lws_sul_schedule(context, 0, &statistics_timer.sul, on_statistics_timer,
                     static_cast<lws_usec_t>(statistics->interval_ms()) * LWS_US_PER_MS);
  }
  return Ok{};
}

void ServerImpl::join_cluster() {
  lws_context* loop_context = context;
  const auto wake = [loop_context] { lws_cancel_service(loop_context); };
  cluster::ClusterSettings settings;
  if (!config.redis.enabled()) {
    // The other loops of this process, as cluster nodes over a LocalBus.
    settings.node_id = "loop/" + std::to_string(placement.index);
    settings.heartbeat_interval_ms = kLoopHeartbeatMs;
    settings.node_timeout_ms = kLoopTimeoutMs;
    settings.log_peers = false;
    cluster = std::make_unique<cluster::ClusterNode>(*hub, clock, std::move(settings),
                                                     std::make_unique<cluster::LocalBus>(placement.exchange, wake));
  } else {
    const registry::RedisConfig& redis = config.redis;
    settings.redis = cluster::RedisEndpoint{redis.host, redis.port, redis.username, redis.password, redis.database};
    settings.channel = redis.prefix + ":cluster";
    settings.node_id = redis.node_id.empty() ? cluster::default_node_id(port) : redis.node_id;
    settings.heartbeat_interval_ms = redis.heartbeat_interval_in_seconds * 1000;
    settings.node_timeout_ms = redis.node_timeout_in_seconds * 1000;
    cluster = std::make_unique<cluster::ClusterNode>(*hub, clock, std::move(settings), wake);
    api->set_cluster_figures(cluster.get());
    if (statistics) statistics->set_node(cluster->node_id());
    std::printf("cluster: node %s, redis %s:%d, channel %s:cluster\n", cluster->node_id().c_str(),
                redis.host.c_str(), redis.port, redis.prefix.c_str());
  }
  webhooks->set_transition_gate([node = cluster.get()] { return node->announces_transitions(); });
  cluster->start();
}

int Server::port() const { return loops_.front()->port; }

int Server::run() {
  ServerImpl& s = *loops_.front();
  PWS_ASSERT(s.context);
  std::signal(SIGPIPE, SIG_IGN);
  SignalRelay signals([this](int signal) {
    for (auto& loop : loops_) {
      (signal == SIGHUP ? loop->reload_requested : loop->stop_requested).store(true);
      loop->wake();
    }
  });

  const std::string host = s.config.server.host.empty() ? "0.0.0.0" : s.config.server.host;
  std::printf("listening on %s:%d%s", host.c_str(), s.port, s.config.server.tls.enabled() ? " (tls)" : "");
  if (loops_.size() > 1) std::printf(", %zu event loops", loops_.size());
  std::printf("\n");
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

  std::vector<std::thread> others;
  for (std::size_t i = 1; i < loops_.size(); ++i) others.emplace_back([loop = loops_[i].get()] { loop->serve(); });
  s.serve();
  for (auto& thread : others) thread.join();
  // The interval in progress is written too: a graceful stop loses nothing.
  // The first loop writes last, with what the others handed it.
  const std::int64_t now = unix_ms_now();
  for (auto it = loops_.rbegin(); it != loops_.rend(); ++it)
    if ((*it)->statistics) (*it)->statistics->finish(now, kStatisticsFlushDeadline);
  return 0;
}

void ServerImpl::serve() {
  const bool loops_only = cluster && placement.count > 1 && !config.redis.enabled();
  while (loop.turn(context)) {
    // The other loops' feed events first: each was posted before the
    // (coalesced) count changes that followed it.
    if (feed_relay) feed_relay->replay(*feed, hub->apps());
    if (cluster) cluster->poll();
    // Heartbeats between loops carry the per-app quotas: more often than the sweep.
    if (loops_only) cluster->tick();
    if (reload_requested.exchange(false) && !draining) {
      reload_registry("SIGHUP");
      if (config.server.tls.enabled()) reload_tls("SIGHUP");
    }
    if (stop_requested.load() && !draining) begin_drain();
    if (draining) close_watchers_when_drained();
    flush_writes();  // before the loop blocks again
    if (draining && (live_sessions == 0 || clock.monotonic_ms() >= drain_deadline_ms)) break;
  }
  lws_sul_cancel(&sweep_timer.sul);
  if (statistics && statistics->writes()) lws_sul_cancel(&statistics_timer.sul);
  // Before the context goes: the other nodes forget this one at once, and
  // the connections still open are not reported leaving one by one.
  if (cluster) cluster->stop();
  destroy_context();
  // After the last hub event (closing the context disconnects the rest):
  // queued webhooks get [webhooks] shutdown_grace_in_seconds to go out.
  webhooks->stop();
}

void Server::stop() noexcept {
  for (auto& loop : loops_) {
    loop->stop_requested.store(true);
    loop->wake();
  }
}

}  // namespace pws::server
