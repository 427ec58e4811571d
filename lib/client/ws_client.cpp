// The libwebsockets client of ws_client.hpp.
#include "client/ws_client.hpp"

#include "client/http_client.hpp"

#include <libwebsockets.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <stdexcept>

namespace pws::client {

namespace {

/// How often the service loop wakes up to check stop() and the deadline.
constexpr lws_usec_t kTickUs = 100 * LWS_US_PER_MS;

int callback(lws* wsi, lws_callback_reasons reason, void*, void* in, std::size_t len);

const lws_protocols kProtocols[] = {
    {"pws-client", callback, 0, 65536, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

}  // namespace

struct WsClient::Impl {
  Url server;
  TransportOptions options;
  lws_context* context = nullptr;
  lws_sorted_usec_list_t tick{};

  lws* wsi = nullptr;
  /// Which connect() a wsi belongs to (its opaque user data); a dropped
  /// connection's late callbacks carry an older one and are ignored.
  std::uintptr_t generation = 1;
  std::string address, host_header, path;
  bool established = false;
  bool failed = false;
  bool closed = false;
  int http_status = 0;
  std::string fail_reason;
  int close_code = 0;
  std::string close_reason;
  std::string message;  ///< the fragments of the message being received
  /// Messages that arrived outside run() (with the upgrade's answer), in order.
  std::deque<std::string> pending;
  const std::function<void(std::string_view)>* on_message = nullptr;

  void reset() {
    established = failed = closed = false;
    http_status = close_code = 0;
    fail_reason.clear();
    close_reason.clear();
    message.clear();
    pending.clear();
  }

  void drop() {
    ++generation;
    if (wsi != nullptr) {
      lws* dropped = wsi;
      wsi = nullptr;
      // Closes at once; its callbacks are ignored (older generation).
      lws_set_timeout(dropped, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_SYNC);
    }
  }
};

namespace {

void on_tick(lws_sorted_usec_list_t* sul) {
  auto* impl = lws_container_of(sul, WsClient::Impl, tick);
  lws_sul_schedule(impl->context, 0, &impl->tick, on_tick, kTickUs);
}

int callback(lws* wsi, lws_callback_reasons reason, void*, void* in, std::size_t len) {
  auto* impl = static_cast<WsClient::Impl*>(lws_context_user(lws_get_context(wsi)));
  if (impl == nullptr || lws_get_opaque_user_data(wsi) != reinterpret_cast<void*>(impl->generation)) {
    // Not a connection of ours (protocol events), or one that drop() ended.
    return 0;
  }
  switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      impl->failed = true;
      impl->http_status = static_cast<int>(lws_http_client_http_response(wsi));
      impl->fail_reason = in != nullptr ? std::string(static_cast<const char*>(in)) : std::string("connection failed");
      impl->wsi = nullptr;
      break;
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
      impl->http_status = static_cast<int>(lws_http_client_http_response(wsi));
      break;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      impl->established = true;
      break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      impl->message.append(static_cast<const char*>(in), len);
      if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        std::string complete;
        complete.swap(impl->message);
        if (impl->on_message != nullptr) {
          if (*impl->on_message) (*impl->on_message)(complete);
        } else {
          impl->pending.push_back(std::move(complete));
        }
      }
      break;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (in != nullptr && len >= 2) {
        const auto* bytes = static_cast<const unsigned char*>(in);
        impl->close_code = (bytes[0] << 8) | bytes[1];
        impl->close_reason.assign(static_cast<const char*>(in) + 2, len - 2);
      }
      break;
    case LWS_CALLBACK_CLIENT_CLOSED:
      impl->closed = true;
      impl->wsi = nullptr;
      break;
    case LWS_CALLBACK_WSI_DESTROY:
      if (!impl->established && !impl->failed) {
        impl->failed = true;
        if (impl->fail_reason.empty()) impl->fail_reason = "connection closed during the handshake";
      }
      if (impl->established) impl->closed = true;
      impl->wsi = nullptr;
      break;
    default:
      break;
  }
  return 0;
}

}  // namespace

WsClient::WsClient(Url server, TransportOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->server = std::move(server);
  impl_->options = std::move(options);
  lws_set_log_level(0, nullptr);  // failures are reported through connect() and run()

  lws_context_creation_info info{};
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = kProtocols;
  info.gid = static_cast<gid_t>(-1);
  info.uid = static_cast<uid_t>(-1);
  info.user = impl_.get();
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
  info.fd_limit_per_thread = 16;
  if (!impl_->options.ca_file.empty()) info.client_ssl_ca_filepath = impl_->options.ca_file.c_str();
  impl_->context = lws_create_context(&info);
  if (impl_->context == nullptr) throw std::runtime_error("cannot create the libwebsockets client context");
  lws_sul_schedule(impl_->context, 0, &impl_->tick, on_tick, kTickUs);
}

WsClient::~WsClient() {
  if (impl_->context != nullptr) {
    lws_sul_cancel(&impl_->tick);
    lws_context* context = impl_->context;
    impl_->wsi = nullptr;
    lws_context_destroy(context);
  }
}

void WsClient::stop() noexcept {
  stop_.store(true);
  // Wakes lws_service (a write on lws's wake-up pipe).
  if (impl_ && impl_->context != nullptr) lws_cancel_service(impl_->context);
}

std::optional<WsConnectError> WsClient::connect(const std::string& target) {
  Impl& impl = *impl_;
  impl.drop();
  impl.reset();
  if (stopped()) return WsConnectError{0, Errc::Unreachable, "stopped"};

  const Url& server = impl.server;
  const bool default_port = server.port == (server.tls ? 443 : 80);
  const bool ipv6 = server.host.find(':') != std::string::npos;
  impl.address = server.host;
  impl.host_header = (ipv6 ? "[" + server.host + "]" : server.host) +
                     (default_port ? std::string() : ":" + std::to_string(server.port));
  impl.path = target;

  lws_client_connect_info info{};
  info.context = impl.context;
  info.address = impl.address.c_str();
  info.port = server.port;
  info.path = impl.path.c_str();
  info.host = impl.host_header.c_str();
  info.origin = impl.host_header.c_str();
  info.local_protocol_name = kProtocols[0].name;
  if (server.tls) {
    info.ssl_connection = LCCSCF_USE_SSL;
    if (!impl.options.verify_tls)
      info.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
  }
  info.opaque_user_data = reinterpret_cast<void*>(impl.generation);

  const std::string where = impl.host_header;
  const auto deadline = std::chrono::steady_clock::now() + impl.options.timeout;
  // libwebsockets says little more than "Unable to connect"; a plain TCP
  // connect tells the user why (refused, no route, unknown host, timeout).
  auto unreachable = [&](const std::string& lws_reason) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (auto probe = probe_tcp(server, std::max(remaining, std::chrono::milliseconds(200))); !probe)
      return WsConnectError{0, Errc::Unreachable, probe.error().message};
    return WsConnectError{0, Errc::Unreachable, "cannot connect to " + where + lws_reason};
  };
  impl.wsi = lws_client_connect_via_info(&info);
  if (impl.wsi == nullptr && !impl.failed) return unreachable("");
  while (!impl.established && !impl.failed && !stopped()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      impl.drop();
      const auto ms = impl.options.timeout.count();
      const std::string seconds = ms % 1000 == 0 ? std::to_string(ms / 1000) : std::to_string(static_cast<double>(ms) / 1000.0);
      return WsConnectError{0, Errc::Unreachable, "cannot connect to " + where + ": timed out after " + seconds + " s"};
    }
    if (lws_service(impl.context, 0) < 0) break;
  }
  if (impl.established && !impl.failed) return std::nullopt;
  if (stopped() && !impl.failed) {
    impl.drop();
    return WsConnectError{0, Errc::Unreachable, "stopped"};
  }
  if (impl.http_status > 0 && impl.http_status != 101)
    return WsConnectError{impl.http_status, Errc::Io,
                          "the server refused the WebSocket upgrade with HTTP " + std::to_string(impl.http_status)};
  return unreachable(": " + impl.fail_reason);
}

WsEnd WsClient::run(const std::function<void(std::string_view)>& on_message) {
  Impl& impl = *impl_;
  impl.on_message = &on_message;
  while (!impl.pending.empty() && !stopped()) {
    const std::string message = std::move(impl.pending.front());
    impl.pending.pop_front();
    if (on_message) on_message(message);
  }
  while (impl.wsi != nullptr && !impl.closed && !stopped()) {
    if (lws_service(impl.context, 0) < 0) break;
  }
  impl.on_message = nullptr;
  WsEnd end;
  end.stopped = stopped();
  end.close_code = impl.close_code;
  end.reason = impl.close_reason;
  if (end.stopped) impl.drop();
  return end;
}

}  // namespace pws::client
