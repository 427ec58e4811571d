// The connection engine of ws_pool.hpp.
#include "bench/ws_pool.hpp"

#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "bench/proc_sampler.hpp"
#include "crypto/base64.hpp"
#include "crypto/crypto.hpp"
#include "protocol/names.hpp"

namespace pws::bench {

const std::array<const char*, kFailureKinds> kFailureNames = {
    "connect_error", "handshake_rejected", "pusher_error", "closed_during_setup", "protocol_error", "setup_timeout"};

namespace {

// Bulk connections read per harvest step before the main set is polled
// again, so 10,000 reads cannot delay the probes' timestamps by more than ~1 ms.
constexpr int kBulkSlice = 1024;
// The epoll tag of the nested bulk set (above every connection index).
constexpr std::uint64_t kBulkSetTag = std::uint64_t(1) << 40;
// A server frame larger than this is treated as a protocol error.
constexpr std::uint64_t kMaxFrame = 16u << 20;

bool in_setup(ConnState s) {
  return s == ConnState::kConnecting || s == ConnState::kHandshake || s == ConnState::kAwaitEstablished ||
         s == ConnState::kSubscribing;
}

std::uint64_t random_seed() {
  const std::string bytes = crypto::random_bytes(8);
  std::uint64_t s = 0;
  std::memcpy(&s, bytes.data(), sizeof s);
  return s;
}

}  // namespace

WsPool::WsPool(Settings settings, PoolListener& listener, std::size_t slots)
    : settings_(std::move(settings)),
      listener_(listener),
      masks_(random_seed()),
      batch_ns_(static_cast<std::int64_t>(settings_.batch_ms) * kMilli) {
  for (const Endpoint& target : settings_.targets) sources_.emplace_back(target, settings_.sources);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  bulk_epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0 || bulk_epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
  conns_.resize(slots);
  // --batch-ms 0: no harvesting, every frame is read when it arrives.
  if (settings_.batch_ms == 0) follow_bulk();
}

WsPool::~WsPool() {
  for (std::uint32_t i = 0; i < conns_.size(); ++i) close_conn(i);
  if (bulk_epoll_fd_ >= 0) ::close(bulk_epoll_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

// ---- Event loop ----

std::size_t WsPool::poll(std::int64_t wake_at) {
  std::int64_t now = now_ns();
  if (!following_) wake_at = std::min(wake_at, harvesting_ ? now : bulk_due_);
  const std::int64_t wait = std::max<std::int64_t>(0, wake_at - now);
  const int timeout_ms = static_cast<int>(std::min<std::int64_t>((wait + kMilli - 1) / kMilli, 1000));

  std::array<epoll_event, 1024> events;
  int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
  if (n < 0 && errno != EINTR) throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
  n = std::max(n, 0);
  now = now_ns();
  std::size_t handled = static_cast<std::size_t>(n);
  for (int i = 0; i < n; ++i) dispatch(events[static_cast<std::size_t>(i)], now);
  if (!following_ && (harvesting_ || now_ns() >= bulk_due_)) {
    handled += harvest_bulk();
    if (!harvesting_) bulk_due_ = now_ns() + batch_ns_;
  }
  return handled;
}

void WsPool::dispatch(const epoll_event& ev, std::int64_t now) {
  if (ev.data.u64 >= kExtraTagBase) return listener_.on_extra(ev.data.u64, ev.events);
  if (ev.data.u64 == kBulkSetTag) {
    harvest_bulk();  // following: the bulk set has data
    return;
  }
  const auto idx = static_cast<std::uint32_t>(ev.data.u64);
  Conn& c = conns_[idx];
  if (c.fd < 0) return;  // closed earlier in this batch of events
  if (c.state == ConnState::kConnecting) return finish_connect(idx);
  if ((ev.events & EPOLLOUT) && !c.out.empty()) flush_out(idx);
  if (c.fd >= 0 && (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) read_conn(idx, now);
}

// Reads up to kBulkSlice bulk connections that have data. The set is
// edge-triggered and read_conn drains each socket, so a connection shows up
// again only when new frames arrive. Sets harvesting_ while more may be ready.
std::size_t WsPool::harvest_bulk() {
  std::array<epoll_event, kBulkSlice> events;
  const int n = epoll_wait(bulk_epoll_fd_, events.data(), kBulkSlice, 0);
  const std::int64_t now = now_ns();
  for (int i = 0; i < n; ++i) {
    const auto idx = static_cast<std::uint32_t>(events[static_cast<std::size_t>(i)].data.u64);
    Conn& c = conns_[idx];
    if (c.fd < 0) continue;
    if ((events[static_cast<std::size_t>(i)].events & EPOLLOUT) && !c.out.empty()) flush_out(idx);
    if (c.fd >= 0) read_conn(idx, now);
  }
  harvesting_ = n == kBulkSlice;
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void WsPool::follow_bulk() {
  if (following_) return;
  following_ = true;
  harvesting_ = false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kBulkSetTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, bulk_epoll_fd_, &ev) != 0)
    throw std::runtime_error(std::string("epoll_ctl(bulk set): ") + std::strerror(errno));
}

void WsPool::drain(std::int64_t budget_ns) {
  follow_bulk();
  // Bounded: a server still streaming a backlog would keep the loop busy.
  const std::int64_t until = now_ns() + budget_ns;
  while (poll(0) > 0 && now_ns() < until) {
  }
}

std::uint32_t WsPool::close_all(std::int64_t grace_ns) {
  follow_bulk();
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    Conn& c = conns_[i];
    if (c.fd < 0 || c.state == ConnState::kClosing) continue;
    if (c.state == ConnState::kSubscribed) close_gracefully(i, false);
    else if (in_setup(c.state)) fail(i, kSetupTimeout, "still in setup when the run ended");
    else close_conn(i);
  }
  const std::int64_t deadline = now_ns() + grace_ns;
  while (closing_ > 0 && now_ns() < deadline) poll(deadline);
  std::uint32_t forced = 0;
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].fd >= 0) {
      ++forced;
      if (conns_[i].state == ConnState::kClosing) --closing_;
      close_conn(i);
    }
  }
  return forced;
}

// ---- Connection setup ----

void WsPool::open(std::uint32_t idx, std::size_t target, std::string channel, bool probe) {
  Conn& c = conns_[idx];
  c = Conn{};
  c.probe = probe;
  c.target = static_cast<std::uint32_t>(target % settings_.targets.size());
  c.channel = std::move(channel);
  c.state = ConnState::kConnecting;
  ++inflight_;
  const Endpoint& ep = settings_.targets[c.target];
  c.fd = ::socket(ep.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return fail(idx, kConnectError, std::string("socket: ") + std::strerror(errno));
  if (!sources_[c.target].bind(c.fd)) return fail(idx, kConnectError, std::string("bind: ") + std::strerror(errno));
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  // EPOLLOUT stays in the mask for good: with EPOLLET it costs nothing while
  // the socket stays writable, and it saves an epoll_ctl per connection.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = idx;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev) != 0)
    return fail(idx, kConnectError, std::string("epoll_ctl: ") + std::strerror(errno));
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0 && errno != EINPROGRESS)
    return fail(idx, kConnectError, std::string("connect: ") + std::strerror(errno));
  // Completion (even an immediate one) is reported as EPOLLOUT.
}

void WsPool::finish_connect(std::uint32_t idx) {
  Conn& c = conns_[idx];
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return fail(idx, kConnectError, std::string("connect: ") + std::strerror(err));

  const Endpoint& ep = settings_.targets[c.target];
  c.ws_key = crypto::base64_encode(crypto::random_bytes(16));
  c.state = ConnState::kHandshake;
  const std::string request = "GET " + ep.path_prefix + "/app/" + settings_.key +
                              "?protocol=7&client=pws-bench&version=1 HTTP/1.1\r\n"
                              "Host: " + ep.host_header + "\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " + c.ws_key + "\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  send_raw(idx, request);
}

bool WsPool::accept_handshake(Conn& c, std::string_view head) {
  if (head.size() < 12 || head.substr(0, 9) != "HTTP/1.1 " || head.substr(9, 3) != "101") return false;
  const std::string expected = websocket_accept(c.ws_key);
  std::string().swap(c.ws_key);
  std::size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string_view::npos) {
    pos += 2;
    const std::string_view line = head.substr(pos, head.find("\r\n", pos) - pos);
    constexpr std::string_view kName = "sec-websocket-accept:";
    if (line.size() > kName.size() &&
        std::equal(kName.begin(), kName.end(), line.begin(),
                   [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); })) {
      std::string_view value = line.substr(kName.size());
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return value == expected;
    }
  }
  return false;
}

// ---- Receiving ----

void WsPool::read_conn(std::uint32_t idx, std::int64_t now) {
  Conn& c = conns_[idx];
  while (c.fd >= 0) {
    const ssize_t n = ::recv(c.fd, read_buf_.data(), read_buf_.size(), 0);
    if (n > 0) {
      const auto got = static_cast<std::size_t>(n);
      if (c.probe) now = now_ns();  // probes are timed per read, not per batch
      if (c.in.empty()) {
        // Common case: whole frames straight from the shared buffer.
        const std::size_t used = consume(idx, read_buf_.data(), got, now);
        if (c.fd >= 0 && used < got) c.in.assign(read_buf_.data() + used, got - used);
      } else {
        c.in.append(read_buf_.data(), got);
        const std::size_t used = consume(idx, c.in.data(), c.in.size(), now);
        if (c.fd >= 0) c.in.erase(0, used);
      }
      // A short read means the socket is drained; edge-triggered epoll will
      // report the next arrival.
      if (got < read_buf_.size()) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    on_close(idx, false);  // EOF or reset
    break;
  }
  if (c.fd < 0) {
    std::string().swap(c.in);
    std::string().swap(c.out);
    std::string().swap(c.message);
  }
}

std::size_t WsPool::consume(std::uint32_t idx, char* p, std::size_t n, std::int64_t now) {
  Conn& c = conns_[idx];
  std::size_t pos = 0;
  if (c.state == ConnState::kHandshake) {
    const std::string_view all(p, n);
    const std::size_t end = all.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (n > 16384) fail(idx, kHandshakeRejected, "oversized handshake response");
      return 0;
    }
    if (!accept_handshake(c, all.substr(0, end))) {
      fail(idx, kHandshakeRejected, all.substr(0, all.find("\r\n")));
      return n;
    }
    c.state = ConnState::kAwaitEstablished;
    pos = end + 4;
  }
  while (c.fd >= 0 && pos < n) {
    FrameHeader h;
    const auto* bytes = reinterpret_cast<const unsigned char*>(p + pos);
    const HeaderStatus status = parse_frame_header(bytes, n - pos, h);
    if (status == HeaderStatus::kIncomplete) break;
    if (status == HeaderStatus::kInvalid || h.payload_len > kMaxFrame) {
      fail(idx, kProtocolError, "invalid frame header");
      return n;
    }
    if (n - pos - h.header_len < h.payload_len) break;  // rest of the frame not here yet
    char* payload = p + pos + h.header_len;
    const auto len = static_cast<std::size_t>(h.payload_len);
    if (h.masked) {
      for (std::size_t i = 0; i < len; ++i) payload[i] ^= static_cast<char>(h.mask[i & 3]);
    }
    on_frame(idx, h, std::string_view(payload, len), now);
    pos += h.header_len + len;
  }
  return pos;
}

void WsPool::on_frame(std::uint32_t idx, const FrameHeader& h, std::string_view payload, std::int64_t now) {
  Conn& c = conns_[idx];
  switch (h.opcode) {
    case kText:
    case kBinary:
      if (c.in_message) return fail(idx, kProtocolError, "new message inside a fragmented one");
      if (h.fin) return on_message(idx, payload, now);
      c.in_message = true;
      c.message.assign(payload);
      return;
    case kContinuation:
      if (!c.in_message) return fail(idx, kProtocolError, "unexpected continuation frame");
      c.message.append(payload);
      if (h.fin) {
        c.in_message = false;
        const std::string whole = std::move(c.message);
        c.message.clear();
        on_message(idx, whole, now);
      }
      return;
    case kPing:
      return send_frame(idx, kPong, payload);
    case kPong:
      return;
    case kClose:
      return on_close(idx, true);
    default:
      return fail(idx, kProtocolError, "unknown opcode");
  }
}

void WsPool::on_message(std::uint32_t idx, std::string_view msg, std::int64_t now) {
  Conn& c = conns_[idx];
  switch (c.state) {
    case ConnState::kSubscribed:
      if (listener_.on_event(idx, msg, now)) return;
      break;
    case ConnState::kAwaitEstablished:
      if (contains(msg, protocol::names::kConnectionEstablished)) {
        c.state = ConnState::kSubscribing;
        send_frame(idx, kText,
                   "{\"event\":\"" + std::string(protocol::names::kSubscribe) + "\",\"data\":{\"channel\":\"" +
                       c.channel + "\"}}");
        return;
      }
      break;
    case ConnState::kSubscribing:
      if (contains(msg, protocol::names::kSubscriptionSucceeded)) {
        c.state = ConnState::kSubscribed;
        if (!c.probe && !following_) move_to_bulk(idx);
        --inflight_;
        listener_.on_subscribed(idx, now_ns());
        return;
      }
      break;
    default:
      break;
  }
  if (contains(msg, protocol::names::kPing)) {
    // Protocol-level keep-alive; unanswered it would cost us the connection.
    send_frame(idx, kText, "{\"event\":\"" + std::string(protocol::names::kPong) + "\",\"data\":{}}");
  } else if (contains(msg, protocol::names::kError) || contains(msg, protocol::names::kSubscriptionError)) {
    if (in_setup(c.state)) return fail(idx, kPusherError, msg);
    if (++pusher_errors_ <= 3) {
      std::fprintf(stderr, "pws bench: connection %u: %.*s\n", idx,
                   static_cast<int>(std::min<std::size_t>(msg.size(), 200)), msg.data());
    }
  }
}

void WsPool::on_close(std::uint32_t idx, bool reply) {
  Conn& c = conns_[idx];
  if (in_setup(c.state)) return fail(idx, kClosedDuringSetup, reply ? "server sent close" : "connection closed");
  if (c.state == ConnState::kSubscribed) {
    if (++disconnects_ <= 3) {
      std::fprintf(stderr, "pws bench: connection %u: %s while subscribed\n", idx,
                   reply ? "server sent close" : "connection closed");
    }
    // Leave kSubscribed first: if the reply fails, the nested on_close must
    // not count this disconnect again.
    c.state = ConnState::kDone;
    if (reply) send_frame(idx, kClose, std::string_view("\x03\xe8", 2));  // 1000
    close_conn(idx);
    return listener_.on_lost(idx);
  }
  if (c.state == ConnState::kClosing) {
    --closing_;  // close handshake completed (or the server just hung up)
    close_conn(idx);
    return listener_.on_closed(idx, reply);
  }
  close_conn(idx);
}

// ---- Sending ----

void WsPool::close_gracefully(std::uint32_t idx, bool unsubscribe) {
  Conn& c = conns_[idx];
  if (c.fd < 0 || c.state == ConnState::kClosing) return;
  if (in_setup(c.state)) --inflight_;
  c.state = ConnState::kClosing;
  ++closing_;
  if (unsubscribe) {
    // No reply exists for pusher:unsubscribe; the close frame follows it in
    // the same write, so the server handles both in order.
    scratch_.clear();
    append_client_frame(scratch_, kText,
                        "{\"event\":\"" + std::string(protocol::names::kUnsubscribe) + "\",\"data\":{\"channel\":\"" +
                            c.channel + "\"}}",
                        masks_.next());
    append_client_frame(scratch_, kClose, std::string_view("\x03\xe8", 2), masks_.next());
    const std::string both = scratch_;
    return send_raw(idx, both);
  }
  send_frame(idx, kClose, std::string_view("\x03\xe8", 2));  // 1000 normal closure
}

void WsPool::send_frame(std::uint32_t idx, std::uint8_t opcode, std::string_view payload) {
  scratch_.clear();
  append_client_frame(scratch_, opcode, payload, masks_.next());
  send_raw(idx, scratch_);
}

void WsPool::send_raw(std::uint32_t idx, std::string_view bytes) {
  Conn& c = conns_[idx];
  if (c.fd < 0) return;
  if (!c.out.empty()) {
    c.out.append(bytes);  // keep order behind what is already waiting
    return flush_out(idx);
  }
  while (!bytes.empty()) {
    const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c.out.assign(bytes);  // EPOLLOUT will flush it
      return;
    } else {
      return on_close(idx, false);
    }
  }
}

void WsPool::flush_out(std::uint32_t idx) {
  Conn& c = conns_[idx];
  while (c.fd >= 0 && !c.out.empty()) {
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    } else {
      return on_close(idx, false);
    }
  }
}

void WsPool::fail(std::uint32_t idx, Failure kind, std::string_view detail) {
  Conn& c = conns_[idx];
  if (!in_setup(c.state)) {  // a protocol error after subscribing
    const ConnState was = c.state;
    std::fprintf(stderr, "pws bench: connection %u: %.*s\n", idx, static_cast<int>(detail.size()), detail.data());
    close_conn(idx);
    if (was == ConnState::kSubscribed) {
      ++disconnects_;
      listener_.on_lost(idx);
    } else if (was == ConnState::kClosing) {
      --closing_;
      listener_.on_closed(idx, false);
    }
    return;
  }
  ++failures_[kind];
  ++failures_total_;
  --inflight_;
  if (++failure_logs_ <= 5) {
    std::fprintf(stderr, "pws bench: connection %u failed (%s): %.*s\n", idx, kFailureNames[kind],
                 static_cast<int>(std::min<std::size_t>(detail.size(), 200)), detail.data());
  }
  close_conn(idx);
  listener_.on_failed(idx, kind);
}

void WsPool::expire_setup() {
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    if (in_setup(conns_[i].state)) fail(i, kSetupTimeout, "not subscribed before --timeout");
  }
}

void WsPool::move_to_bulk(std::uint32_t idx) {
  Conn& c = conns_[idx];
  // Two syscalls once per connection, so that its deliveries never wake us.
  // EPOLLOUT stays: a pong that did not fit must still be flushed.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = idx;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr) != 0 || epoll_ctl(bulk_epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev) != 0)
    throw std::runtime_error(std::string("epoll_ctl(move to bulk set): ") + std::strerror(errno));
  c.in_bulk = true;
}

void WsPool::close_conn(std::uint32_t idx) {
  Conn& c = conns_[idx];
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  // The buffers are released by read_conn or open(): consume() may still be
  // walking `in` when a frame closes the connection.
  c.state = ConnState::kDone;
}

}  // namespace pws::bench
