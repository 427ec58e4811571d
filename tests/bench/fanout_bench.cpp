// pws_fanout_bench: a fan-out load generator for Pusher-compatible servers.
//
// It opens N WebSocket connections to one server on loopback, subscribes every
// one of them to the same public channel, then publishes E events at R events
// per second through the signed HTTP API and counts how many of the E x N
// deliveries arrive, how fast, and with what latency. It also samples the
// server's RSS (per connection) and CPU time (per delivery) from /proc.
//
// This is a benchmark, not a test: the point is a figure for the server, so
// the generator is built to cost the shared 2-core machine far less per
// delivery than the server does (docs/benchmarking.md):
//   * one thread, one epoll set, non-blocking sockets, edge-triggered;
//   * its own minimal RFC 6455 client (no library, no permessage-deflate);
//   * frames are never JSON-parsed: a substring scan finds the `seq` marker;
//   * only "probe" connections (every Nth, --probe-every) are read the moment
//     data arrives and timed. All other subscribers sit in a second epoll set
//     that nothing sleeps on, so their frames never wake the generator; it is
//     harvested every --batch-ms, when one recv() returns several frames that
//     are only counted. (Here, waking once per frame, even just to defer the
//     read, cost the generator ~6 us per delivery and halved the server's
//     throughput; harvesting every 500 ms costs ~2 us at 7 events/s, and
//     less as the rate grows and each recv() returns more frames.)
//   * events are published over a keep-alive HTTP/1.1 connection in the same
//     loop, so the send timestamp in each event and the receive timestamps
//     come from the same CLOCK_MONOTONIC. With one connection the publisher
//     waits for each response; a server that answers only after its fan-out
//     then gets fewer events than asked for (see trigger_rate_achieved_per_s),
//     and --trigger-connections K keeps up to K triggers in flight instead.
//
// Progress goes to stderr; one JSON object with the results goes to stdout.
// Exit status: 0 when every connection subscribed, every trigger returned 200
// and every delivery arrived exactly once; 1 otherwise; 2 for bad usage or an
// environment that cannot run the requested load.

#include "bench_support.hpp"
#include "crypto/crypto.hpp"
#include "trigger_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pws::bench {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMilli = 1'000'000;
// Sockets beyond the N WebSockets: epoll, the trigger connection, stdio and
// slack for the C++ runtime.
constexpr unsigned kSpareFds = 64;
// Bulk connections read per harvest step before the main set is polled
// again, so 10,000 reads cannot delay the probes' timestamps by more than ~1 ms.
constexpr int kBulkSlice = 1024;
// epoll tags above every connection index: the nested bulk set, and the
// trigger connections (base + k).
constexpr std::uint64_t kBulkSetTag = std::uint64_t(1) << 40;
constexpr std::uint64_t kTriggerTagBase = std::uint64_t(1) << 41;
// A server frame larger than this is treated as a protocol error.
constexpr std::uint64_t kMaxFrame = 16u << 20;
// How long the clean close handshake may take at the end.
constexpr std::int64_t kCloseGrace = 3 * kSecond;

// ---------------------------------------------------------------- options --

struct Options {
  std::string host = "127.0.0.1";
  unsigned port = 0;
  std::string app_id;
  std::string key;
  std::string secret;
  unsigned connections = 1000;
  std::string channel = "bench";
  unsigned events = 100;
  double rate = 10;
  long server_pid = 0;
  unsigned sources = 4;
  double timeout_s = 60;
  unsigned probe_every = 50;
  unsigned max_inflight = 500;
  unsigned batch_ms = 500;
  unsigned trigger_connections = 1;
};

void usage(FILE* out) {
  std::fprintf(out,
      "usage: pws_fanout_bench --port P --app-id ID --key KEY --secret SECRET [options]\n"
      "\n"
      "Opens N WebSocket connections, subscribes them all to one channel, publishes\n"
      "E events at R/s through the HTTP API and measures the fan-out.\n"
      "\n"
      "  --host ADDR          loopback server address (127.0.0.0/8 or ::1) [127.0.0.1]\n"
      "  --port P             server port (WebSocket and HTTP API) [required]\n"
      "  --app-id ID          app id for /apps/{id}/events [required]\n"
      "  --key KEY            app key for /app/{key} and auth_key [required]\n"
      "  --secret SECRET      app secret for request signing [required]\n"
      "  --connections N      WebSocket connections (subscribers) [1000]\n"
      "  --channel NAME       public channel to subscribe and publish to [bench]\n"
      "  --events E           events to publish [100]\n"
      "  --rate R             events per second [10]\n"
      "  --server-pid PID     server process, for RSS and CPU figures from /proc\n"
      "  --sources S          spread sockets over source addresses 127.0.0.1..127.0.0.S [4]\n"
      "  --timeout SECONDS    limit of the connect phase, and grace after the last\n"
      "                       scheduled trigger for deliveries to arrive [60]\n"
      "  --probe-every K      time latency on every Kth connection; 1 = all [50]\n"
      "  --max-inflight M     connection handshakes in flight at once [500]\n"
      "  --batch-ms B         read non-probe connections every B ms; 0 = on arrival [500]\n"
      "  --trigger-connections K\n"
      "                       keep-alive HTTP connections publishing, i.e. triggers\n"
      "                       that may await their response at once [1]\n");
}

bool parse_unsigned(const std::string& text, unsigned& out, unsigned min, unsigned max) {
  char* end = nullptr;
  errno = 0;
  const unsigned long v = std::strtoul(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v < min || v > max) return false;
  out = static_cast<unsigned>(v);
  return true;
}

bool parse_positive(const std::string& text, double& out) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !(v > 0) || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// Channel names go into JSON and URLs unescaped, so accept only the Pusher
// channel-name alphabet (which needs no escaping in either).
bool valid_channel(const std::string& name) {
  if (name.empty() || name.size() > 164) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-_=@,.;", c) != nullptr;
  });
}

bool plain_token(const std::string& s) {
  return !s.empty() && std::none_of(s.begin(), s.end(), [](char c) {
    return c <= ' ' || c == '"' || c == '\\' || c == '&' || c == '?' || c == '/' || c == '#';
  });
}

// Returns nullopt after printing the reason; `exit_code` says whether that
// was --help (0) or an error (2).
std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options o;
  exit_code = 2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (arg == "-h" || arg == "--help") {
      usage(stdout);
      exit_code = 0;
      return std::nullopt;
    }
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::fprintf(stderr, "error: %s needs a value\n", arg.c_str());
      return std::nullopt;
    }
    bool ok = true;
    if (arg == "--host") o.host = value;
    else if (arg == "--port") ok = parse_unsigned(value, o.port, 1, 65535);
    else if (arg == "--app-id") o.app_id = value;
    else if (arg == "--key") o.key = value;
    else if (arg == "--secret") o.secret = value;
    else if (arg == "--connections") ok = parse_unsigned(value, o.connections, 1, 10'000'000);
    else if (arg == "--channel") o.channel = value;
    else if (arg == "--events") ok = parse_unsigned(value, o.events, 1, 100'000'000);
    else if (arg == "--rate") ok = parse_positive(value, o.rate);
    else if (arg == "--server-pid") {
      unsigned pid = 0;
      ok = parse_unsigned(value, pid, 1, std::numeric_limits<int>::max());
      o.server_pid = pid;
    }
    else if (arg == "--sources") ok = parse_unsigned(value, o.sources, 1, 254);
    else if (arg == "--timeout") ok = parse_positive(value, o.timeout_s);
    else if (arg == "--probe-every") ok = parse_unsigned(value, o.probe_every, 1, 10'000'000);
    else if (arg == "--max-inflight") ok = parse_unsigned(value, o.max_inflight, 1, 100'000);
    else if (arg == "--batch-ms") ok = parse_unsigned(value, o.batch_ms, 0, 10'000);
    else if (arg == "--trigger-connections") ok = parse_unsigned(value, o.trigger_connections, 1, 32);
    else {
      std::fprintf(stderr, "error: unknown option %s (see --help)\n", arg.c_str());
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr, "error: invalid value for %s: %s\n", arg.c_str(), value.c_str());
      return std::nullopt;
    }
  }
  if (o.port == 0 || o.app_id.empty() || o.key.empty() || o.secret.empty()) {
    std::fprintf(stderr, "error: --port, --app-id, --key and --secret are required (see --help)\n");
    return std::nullopt;
  }
  if (!plain_token(o.app_id) || !plain_token(o.key)) {
    std::fprintf(stderr, "error: --app-id and --key must be plain tokens (no spaces, quotes, /?&#)\n");
    return std::nullopt;
  }
  if (!valid_channel(o.channel)) {
    std::fprintf(stderr, "error: --channel must use only A-Z a-z 0-9 and -_=@,.; (max 164)\n");
    return std::nullopt;
  }
  return o;
}

// ------------------------------------------------------------ connections --

enum class State : std::uint8_t {
  kIdle,               // not opened yet
  kConnecting,         // TCP connect in progress
  kHandshake,          // upgrade request sent, waiting for 101
  kAwaitEstablished,   // waiting for pusher:connection_established
  kSubscribing,        // pusher:subscribe sent
  kSubscribed,         // counting deliveries
  kClosing,            // our close frame sent, waiting for the server's
  kDone,               // socket closed
};

bool in_setup(State s) {
  return s == State::kConnecting || s == State::kHandshake || s == State::kAwaitEstablished ||
         s == State::kSubscribing;
}

enum Failure : std::uint8_t {
  kConnectError,
  kHandshakeRejected,
  kPusherError,
  kClosedDuringSetup,
  kProtocolError,
  kSetupTimeout,
  kFailureKinds,
};

constexpr std::array<const char*, kFailureKinds> kFailureNames = {
    "connect_error", "handshake_rejected", "pusher_error",
    "closed_during_setup", "protocol_error", "setup_timeout"};

struct Conn {
  int fd = -1;
  State state = State::kIdle;
  bool probe = false;       // read immediately and timed
  bool in_message = false;  // inside a fragmented message
  std::uint32_t received = 0;
  std::uint64_t next_seq = 0;  // to spot duplicates and reordering
  std::string in;       // bytes of an incomplete handshake or frame
  std::string out;      // bytes the socket did not take yet (rare)
  std::string message;  // fragmented message being reassembled (rare)
  std::string ws_key;   // Sec-WebSocket-Key until the 101 arrives
};

// --------------------------------------------------------------- the bench --

class Bench {
 public:
  explicit Bench(Options options, Endpoint endpoint)
      : o_(std::move(options)),
        endpoint_(std::move(endpoint)),
        masks_(seed()),
        batch_ns_(static_cast<std::int64_t>(o_.batch_ms) * kMilli) {}

  int run();

 private:
  static std::uint64_t seed() {
    const std::string bytes = crypto::random_bytes(8);
    std::uint64_t s = 0;
    std::memcpy(&s, bytes.data(), sizeof s);
    return s;
  }

  // Event loop.
  std::size_t poll(std::int64_t wake_at);
  void dispatch(const epoll_event& ev, std::int64_t now);
  std::size_t harvest_bulk();
  void follow_bulk();
  void drain_everything();

  // Connection life cycle.
  void open_more();
  void open_conn(std::uint32_t idx);
  void finish_connect(std::uint32_t idx);
  void read_conn(std::uint32_t idx, std::int64_t now);
  std::size_t consume(std::uint32_t idx, char* p, std::size_t n, std::int64_t now);
  bool accept_handshake(Conn& c, std::string_view head);
  void on_frame(std::uint32_t idx, const FrameHeader& h, std::string_view payload, std::int64_t now);
  void on_message(std::uint32_t idx, std::string_view msg, std::int64_t now);
  void on_close(std::uint32_t idx, bool reply);
  void send_frame(std::uint32_t idx, std::uint8_t opcode, std::string_view payload);
  void send_raw(std::uint32_t idx, std::string_view bytes);
  void flush_out(std::uint32_t idx);
  void fail(std::uint32_t idx, Failure kind, std::string_view detail);
  void close_conn(std::uint32_t idx);
  void move_to_bulk(std::uint32_t idx);

  // Phases.
  void connect_phase();
  void publish_phase();
  void close_phase();
  void handle_trigger_results();
  TriggerClient* idle_trigger();
  void progress(bool publishing);
  std::string result_json() const;
  int exit_code() const;
  std::uint64_t duplicates() const;

  Options o_;
  Endpoint endpoint_;
  MaskSource masks_;
  int epoll_fd_ = -1;       // setup, probes, trigger: waited on
  int bulk_epoll_fd_ = -1;  // subscribed non-probes: harvested, not waited on
  std::vector<Conn> conns_;
  std::vector<std::unique_ptr<TriggerClient>> triggers_;
  std::array<char, 65536> read_buf_{};
  std::string scratch_;  // frame encoding buffer, reused

  // Bulk harvest: due every batch_ns_; `harvesting_` while a harvest is
  // split over several loop iterations; `following_` once the bulk set is
  // nested in the main one and read as soon as data arrives.
  std::int64_t batch_ns_;
  std::int64_t bulk_due_ = 0;
  bool harvesting_ = false;
  bool following_ = false;

  // Connect phase.
  std::uint32_t opened_ = 0;
  std::uint32_t inflight_ = 0;
  std::uint32_t subscribed_ = 0;
  std::uint32_t failures_total_ = 0;
  std::array<std::uint32_t, kFailureKinds> failures_{};
  unsigned failure_logs_ = 0;
  std::int64_t connect_start_ = 0;
  std::int64_t last_subscribed_ = 0;
  std::optional<long> rss_before_, rss_after_, rss_end_;
  std::optional<std::int64_t> server_cpu_connect_us_;

  // Publish phase.
  std::uint32_t subscribers_ = 0;  // subscribed when publishing started
  std::uint64_t next_seq_ = 0;
  std::uint64_t triggers_done_ = 0;
  std::uint64_t triggers_ok_ = 0;
  std::uint64_t trigger_failures_ = 0;
  unsigned trigger_logs_ = 0;
  std::vector<std::uint32_t> counts_;  // deliveries per event
  std::vector<bool> event_ok_;         // trigger answered 200
  std::uint64_t complete_ok_ = 0;      // events both 200 and fully delivered
  std::uint64_t delivered_ = 0;
  std::uint64_t out_of_order_ = 0;     // older seq after a newer one on a connection
  std::uint64_t unexpected_ = 0;       // seq outside 0..E-1
  std::uint64_t disconnects_ = 0;      // subscribed connections lost mid-run
  std::uint64_t pusher_errors_ = 0;
  std::vector<std::int64_t> latencies_;         // ns, probe deliveries
  std::vector<std::int64_t> trigger_response_;  // ns, HTTP round trips
  std::int64_t publish_start_ = 0;
  std::int64_t first_trigger_ = 0;
  std::int64_t last_trigger_ = 0;
  std::int64_t last_delivery_ = 0;
  bool timed_out_ = false;
  std::optional<std::int64_t> server_cpu_publish_us_;
  std::int64_t self_cpu_publish_us_ = 0;

  // Close phase.
  std::uint32_t closing_ = 0;
  std::int64_t next_progress_ = 0;
};

// ------------------------------------------------------------- event loop --

std::size_t Bench::poll(std::int64_t wake_at) {
  std::int64_t now = now_ns();
  if (!following_) wake_at = std::min(wake_at, harvesting_ ? now : bulk_due_);
  const std::int64_t wait = std::max<std::int64_t>(0, wake_at - now);
  const int timeout_ms = static_cast<int>(std::min<std::int64_t>((wait + kMilli - 1) / kMilli, 1000));

  std::array<epoll_event, 1024> events;
  int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
  if (n < 0 && errno != EINTR) {
    std::perror("epoll_wait");
    std::exit(2);
  }
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

void Bench::dispatch(const epoll_event& ev, std::int64_t now) {
  if (ev.data.u64 >= kTriggerTagBase) {
    triggers_[ev.data.u64 - kTriggerTagBase]->on_event(ev.events);
    return;
  }
  if (ev.data.u64 == kBulkSetTag) {
    harvest_bulk();  // following: the bulk set has data
    return;
  }
  const auto idx = static_cast<std::uint32_t>(ev.data.u64);
  Conn& c = conns_[idx];
  if (c.fd < 0) return;  // closed earlier in this batch of events
  if (c.state == State::kConnecting) {
    finish_connect(idx);
    return;
  }
  if ((ev.events & EPOLLOUT) && !c.out.empty()) flush_out(idx);
  if (c.fd >= 0 && (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) read_conn(idx, now);
}

// Reads up to kBulkSlice bulk connections that have data. The set is
// edge-triggered and read_conn drains each socket, so a connection shows up
// again only when new frames arrive. Sets harvesting_ while more may be ready.
std::size_t Bench::harvest_bulk() {
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

// Nests the bulk set in the main one: from now on a frame for any subscriber
// wakes the loop. Used for the tail of the run (so the last delivery's time is
// when it arrived, not when a harvest came round) and for the close handshake.
void Bench::follow_bulk() {
  if (following_) return;
  following_ = true;
  harvesting_ = false;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kBulkSetTag;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, bulk_epoll_fd_, &ev) != 0) {
    std::perror("epoll_ctl(bulk set)");
    std::exit(2);
  }
}

// Reads everything already received: used when the delivery phase times out
// so that frames sitting in socket buffers still count.
void Bench::drain_everything() {
  follow_bulk();
  // Bounded: a server still streaming a backlog would keep the loop busy.
  const std::int64_t until = now_ns() + 500 * kMilli;
  while (poll(0) > 0 && now_ns() < until) {
  }
}

// ------------------------------------------------------- connection setup --

void Bench::open_more() {
  while (inflight_ < o_.max_inflight && opened_ < o_.connections) open_conn(opened_++);
}

void Bench::open_conn(std::uint32_t idx) {
  Conn& c = conns_[idx];
  c.probe = idx % o_.probe_every == 0;
  c.state = State::kConnecting;
  ++inflight_;
  c.fd = ::socket(endpoint_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0) return fail(idx, kConnectError, std::string("socket: ") + std::strerror(errno));

  if (!endpoint_.ipv6) {
    // Binding a source address before connect() would normally reserve an
    // ephemeral port per address regardless of destination; with
    // IP_BIND_ADDRESS_NO_PORT the port is picked at connect() time, so each
    // source address gives a full port range towards the server.
    const int one = 1;
    setsockopt(c.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in src{};
    src.sin_family = AF_INET;
    src.sin_addr.s_addr = htonl((127u << 24) | (1 + idx % o_.sources));
    if (::bind(c.fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) {
      return fail(idx, kConnectError, std::string("bind: ") + std::strerror(errno));
    }
  }
  const int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  // EPOLLOUT stays in the mask for good: with EPOLLET it costs nothing while
  // the socket stays writable, and it saves an epoll_ctl per connection.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = idx;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
    return fail(idx, kConnectError, std::string("epoll_ctl: ") + std::strerror(errno));
  }
  if (::connect(c.fd, reinterpret_cast<const sockaddr*>(&endpoint_.addr), endpoint_.len) != 0 &&
      errno != EINPROGRESS) {
    return fail(idx, kConnectError, std::string("connect: ") + std::strerror(errno));
  }
  // Completion (even an immediate one) is reported as EPOLLOUT.
}

void Bench::finish_connect(std::uint32_t idx) {
  Conn& c = conns_[idx];
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err != 0) return fail(idx, kConnectError, std::string("connect: ") + std::strerror(err));

  c.ws_key = base64_encode(crypto::random_bytes(16));
  c.state = State::kHandshake;
  const std::string request = "GET /app/" + o_.key +
                              "?protocol=7&client=bench&version=1 HTTP/1.1\r\n"
                              "Host: " + endpoint_.host_header + "\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: " + c.ws_key + "\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  send_raw(idx, request);
}

bool Bench::accept_handshake(Conn& c, std::string_view head) {
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

// ------------------------------------------------------------- receiving --

void Bench::read_conn(std::uint32_t idx, std::int64_t now) {
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

std::size_t Bench::consume(std::uint32_t idx, char* p, std::size_t n, std::int64_t now) {
  Conn& c = conns_[idx];
  std::size_t pos = 0;
  if (c.state == State::kHandshake) {
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
    c.state = State::kAwaitEstablished;
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

void Bench::on_frame(std::uint32_t idx, const FrameHeader& h, std::string_view payload,
                     std::int64_t now) {
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
        on_message(idx, c.message, now);
        c.message.clear();
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

void Bench::on_message(std::uint32_t idx, std::string_view msg, std::int64_t now) {
  Conn& c = conns_[idx];
  switch (c.state) {
    case State::kSubscribed: {
      std::uint64_t seq = 0;
      std::int64_t sent = 0;
      if (!find_bench_event(msg, seq, sent)) break;
      if (seq >= counts_.size()) {
        ++unexpected_;
        return;
      }
      ++delivered_;
      ++c.received;
      last_delivery_ = now;
      // With one publisher each event is accepted before the next is sent, so
      // every subscriber must see them in order; with several, concurrent
      // triggers have no defined order.
      if (seq < c.next_seq && o_.trigger_connections == 1) ++out_of_order_;
      c.next_seq = seq + 1;
      if (++counts_[seq] == subscribers_ && event_ok_[seq]) ++complete_ok_;
      if (c.probe) latencies_.push_back(now - sent);
      return;
    }
    case State::kAwaitEstablished:
      if (contains(msg, "pusher:connection_established")) {
        c.state = State::kSubscribing;
        send_frame(idx, kText, "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" + o_.channel + "\"}}");
        return;
      }
      break;
    case State::kSubscribing:
      if (contains(msg, "pusher_internal:subscription_succeeded")) {
        c.state = State::kSubscribed;
        if (!c.probe) move_to_bulk(idx);
        --inflight_;
        ++subscribed_;
        last_subscribed_ = now_ns();
        return;
      }
      break;
    default:
      break;
  }
  if (contains(msg, "pusher:ping")) {
    // Protocol-level keep-alive; unanswered it would cost us the connection.
    send_frame(idx, kText, "{\"event\":\"pusher:pong\",\"data\":{}}");
  } else if (contains(msg, "pusher:error")) {
    if (in_setup(c.state)) return fail(idx, kPusherError, msg);
    if (++pusher_errors_ <= 3) {
      std::fprintf(stderr, "connection %u: %.*s\n", idx, static_cast<int>(std::min<std::size_t>(msg.size(), 200)),
                   msg.data());
    }
  }
}

void Bench::on_close(std::uint32_t idx, bool reply) {
  Conn& c = conns_[idx];
  if (in_setup(c.state)) {
    return fail(idx, kClosedDuringSetup, reply ? "server sent close" : "connection closed");
  }
  if (c.state == State::kSubscribed) {
    if (++disconnects_ <= 3) {
      std::fprintf(stderr, "connection %u: %s while subscribed\n", idx,
                   reply ? "server sent close" : "connection closed");
    }
    // Leave kSubscribed first: if the reply fails, the nested on_close must
    // not count this disconnect again.
    c.state = State::kDone;
    if (reply) send_frame(idx, kClose, std::string_view("\x03\xe8", 2));  // 1000
  } else if (c.state == State::kClosing) {
    --closing_;  // close handshake completed
  }
  close_conn(idx);
}

// --------------------------------------------------------------- sending --

void Bench::send_frame(std::uint32_t idx, std::uint8_t opcode, std::string_view payload) {
  scratch_.clear();
  append_client_frame(scratch_, opcode, payload, masks_.next());
  send_raw(idx, scratch_);
}

void Bench::send_raw(std::uint32_t idx, std::string_view bytes) {
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

void Bench::flush_out(std::uint32_t idx) {
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

void Bench::fail(std::uint32_t idx, Failure kind, std::string_view detail) {
  Conn& c = conns_[idx];
  if (!in_setup(c.state)) {  // a protocol error after subscribing
    if (c.state == State::kSubscribed) ++disconnects_;
    if (c.state == State::kClosing) --closing_;
    std::fprintf(stderr, "connection %u: %.*s\n", idx, static_cast<int>(detail.size()), detail.data());
    return close_conn(idx);
  }
  ++failures_[kind];
  ++failures_total_;
  --inflight_;
  if (++failure_logs_ <= 5) {
    std::fprintf(stderr, "connection %u failed (%s): %.*s\n", idx, kFailureNames[kind],
                 static_cast<int>(std::min<std::size_t>(detail.size(), 200)), detail.data());
  }
  close_conn(idx);
}

void Bench::move_to_bulk(std::uint32_t idx) {
  Conn& c = conns_[idx];
  // Two syscalls once per connection, so that its deliveries never wake us.
  // EPOLLOUT stays: a pong that did not fit must still be flushed.
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = idx;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr) != 0 ||
      epoll_ctl(bulk_epoll_fd_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
    std::perror("epoll_ctl(move to bulk set)");
    std::exit(2);
  }
}

void Bench::close_conn(std::uint32_t idx) {
  Conn& c = conns_[idx];
  if (c.fd >= 0) ::close(c.fd);  // also leaves the epoll set
  c.fd = -1;
  c.state = State::kDone;
}

// ---------------------------------------------------------------- phases --

void Bench::progress(bool publishing) {
  const std::int64_t now = now_ns();
  if (now < next_progress_) return;
  next_progress_ = now + kSecond;
  if (!publishing) {
    const double t = double(now - connect_start_) / kSecond;
    std::fprintf(stderr, "[connect %6.1fs] opened %u/%u  subscribed %u  in flight %u  failed %u\n", t,
                 opened_, o_.connections, subscribed_, inflight_, failures_total_);
  } else {
    const double t = double(now - publish_start_) / kSecond;
    const double expected = double(o_.events) * subscribers_;
    std::fprintf(stderr,
                 "[publish %6.1fs] triggers %llu/%u (ok %llu, failed %llu)  delivered %llu (%.1f%%)\n", t,
                 static_cast<unsigned long long>(next_seq_), o_.events,
                 static_cast<unsigned long long>(triggers_ok_),
                 static_cast<unsigned long long>(trigger_failures_),
                 static_cast<unsigned long long>(delivered_),
                 expected > 0 ? 100.0 * double(delivered_) / expected : 0.0);
  }
}

void Bench::connect_phase() {
  connect_start_ = now_ns();
  next_progress_ = connect_start_ + kSecond;
  const auto cpu_before = o_.server_pid ? read_cpu_us(static_cast<pid_t>(o_.server_pid)) : std::nullopt;
  const std::int64_t deadline = connect_start_ + static_cast<std::int64_t>(o_.timeout_s * kSecond);
  while (true) {
    open_more();
    if (opened_ == o_.connections && inflight_ == 0) break;
    if (now_ns() >= deadline) {
      for (std::uint32_t i = 0; i < opened_; ++i) {
        if (in_setup(conns_[i].state)) fail(i, kSetupTimeout, "not subscribed before --timeout");
      }
      // Never opened ones count as failures too.
      const std::uint32_t never = o_.connections - opened_;
      failures_[kSetupTimeout] += never;
      failures_total_ += never;
      break;
    }
    poll(std::min(deadline, next_progress_));
    progress(false);
  }
  if (o_.server_pid) {
    const auto cpu_after = read_cpu_us(static_cast<pid_t>(o_.server_pid));
    if (cpu_before && cpu_after) server_cpu_connect_us_ = *cpu_after - *cpu_before;
  }
  const double secs = double(last_subscribed_ - connect_start_) / kSecond;
  std::fprintf(stderr, "connect phase: %u subscribed, %u failed, %.1f connect+subscribe/s\n", subscribed_,
               failures_total_, subscribed_ && secs > 0 ? subscribed_ / secs : 0.0);
}

TriggerClient* Bench::idle_trigger() {
  for (auto& t : triggers_) {
    if (t->idle()) return t.get();
  }
  return nullptr;
}

void Bench::handle_trigger_results() {
  for (auto& publisher : triggers_) {
    for (const auto& r : publisher->results()) {
      ++triggers_done_;
      trigger_response_.push_back(r.done_ns - r.sent_ns);
      if (r.status == 200) {
        ++triggers_ok_;
        event_ok_[r.seq] = true;
        if (counts_[r.seq] >= subscribers_) ++complete_ok_;
        continue;
      }
      ++trigger_failures_;
      if (++trigger_logs_ <= 5) {
        const std::string what = r.status ? "HTTP " + std::to_string(r.status) : "no response:";
        std::fprintf(stderr, "trigger %llu failed: %s %s\n", static_cast<unsigned long long>(r.seq),
                     what.c_str(), r.detail.c_str());
      }
    }
    publisher->results().clear();
  }
}

void Bench::publish_phase() {
  subscribers_ = subscribed_;
  counts_.assign(o_.events, 0);
  event_ok_.assign(o_.events, false);
  latencies_.reserve(std::size_t(o_.events) * ((subscribers_ + o_.probe_every - 1) / o_.probe_every));
  if (subscribers_ == 0) return;

  const auto pid = static_cast<pid_t>(o_.server_pid);
  const auto cpu_before = o_.server_pid ? read_cpu_us(pid) : std::nullopt;
  self_cpu_publish_us_ = self_cpu_us();
  publish_start_ = now_ns();
  next_progress_ = publish_start_ + kSecond;
  const double interval = double(kSecond) / o_.rate;
  const std::int64_t deadline =
      publish_start_ + static_cast<std::int64_t>((o_.events / o_.rate + o_.timeout_s) * kSecond);

  while (true) {
    // Absolute schedule: a trigger that had to wait for a slow response is
    // sent as soon as the previous one is answered, so the mean rate holds
    // whenever the server can sustain it.
    const std::int64_t due = publish_start_ + static_cast<std::int64_t>(double(next_seq_) * interval);
    TriggerClient* publisher = next_seq_ < o_.events ? idle_trigger() : nullptr;
    if (publisher && now_ns() >= due) {
      const std::int64_t now = now_ns();
      if (next_seq_ == 0) first_trigger_ = now;
      last_trigger_ = now;
      publisher->trigger(next_seq_++);
      handle_trigger_results();  // a connect failure reports at once
    }
    if (triggers_done_ == o_.events) {
      // Every event is out: read the tail as it arrives so that the end of
      // the delivery window is measured, not the end of a batch period.
      follow_bulk();
    }
    if (triggers_done_ == o_.events && complete_ok_ == triggers_ok_) break;
    if (now_ns() >= deadline) {
      timed_out_ = true;
      break;
    }
    std::int64_t wake = std::min(deadline, next_progress_);
    if (next_seq_ < o_.events && idle_trigger()) {
      wake = std::min(wake, publish_start_ + static_cast<std::int64_t>(double(next_seq_) * interval));
    }
    poll(wake);
    handle_trigger_results();
    progress(true);
  }
  if (timed_out_) {
    drain_everything();
    handle_trigger_results();
    std::fprintf(stderr, "delivery phase timed out after %.1f s\n", double(now_ns() - publish_start_) / kSecond);
  }
  self_cpu_publish_us_ = self_cpu_us() - self_cpu_publish_us_;
  if (o_.server_pid) {
    const auto cpu_after = read_cpu_us(pid);
    if (cpu_before && cpu_after) server_cpu_publish_us_ = *cpu_after - *cpu_before;
    rss_end_ = read_rss_kb(pid);
  }
  progress(true);
}

void Bench::close_phase() {
  follow_bulk();
  for (auto& t : triggers_) t->close();
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    Conn& c = conns_[i];
    if (c.fd < 0) continue;
    if (c.state == State::kSubscribed) {
      c.state = State::kClosing;
      ++closing_;
      send_frame(i, kClose, std::string_view("\x03\xe8", 2));  // 1000 normal closure
    } else {
      close_conn(i);
    }
  }
  const std::int64_t deadline = now_ns() + kCloseGrace;
  while (closing_ > 0 && now_ns() < deadline) poll(deadline);
  std::uint32_t forced = 0;
  for (std::uint32_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].fd >= 0) {
      ++forced;
      close_conn(i);
    }
  }
  if (forced) std::fprintf(stderr, "%u connections did not answer the close handshake in time\n", forced);
  ::close(bulk_epoll_fd_);
  ::close(epoll_fd_);
}

// ---------------------------------------------------------------- output --

std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

template <typename T>
std::string opt_num(const std::optional<T>& v) {
  return v ? std::to_string(*v) : "null";
}

std::string Bench::result_json() const {
  const double connect_secs = double(last_subscribed_ - connect_start_) / kSecond;
  const double expected = double(o_.events) * subscribers_;
  const double window = double(last_delivery_ - first_trigger_) / kSecond;
  const double trigger_window = double(last_trigger_ - first_trigger_) / kSecond;

  std::vector<std::int64_t> lat = latencies_;
  std::sort(lat.begin(), lat.end());
  auto ms = [&](double q) { return lat.empty() ? std::string("null") : fixed(double(percentile(lat, q)) / kMilli, 3); };
  std::vector<std::int64_t> resp = trigger_response_;
  std::sort(resp.begin(), resp.end());
  auto resp_ms = [&](double q) {
    return resp.empty() ? std::string("null") : fixed(double(percentile(resp, q)) / kMilli, 3);
  };

  std::optional<double> rss_per_conn;
  if (rss_before_ && rss_after_ && subscribed_ > 0) rss_per_conn = double(*rss_after_ - *rss_before_) / subscribed_;

  std::string j = "{\"scenario\":\"fanout\"";
  j += ",\"connections\":" + std::to_string(o_.connections);
  j += ",\"subscribed\":" + std::to_string(subscribers_);
  j += ",\"connect_rate_per_s\":" + (subscribed_ && connect_secs > 0 ? fixed(subscribed_ / connect_secs, 1) : "null");
  j += ",\"connect_failures\":" + std::to_string(failures_total_);
  j += ",\"events\":" + std::to_string(o_.events);
  j += ",\"rate\":" + fixed(o_.rate, 3);
  j += ",\"delivered\":" + std::to_string(delivered_);
  j += ",\"delivery_ratio\":" + (expected > 0 ? fixed(double(delivered_) / expected, 6) : "null");
  j += ",\"delivered_per_s\":" + (delivered_ && window > 0 ? fixed(double(delivered_) / window, 1) : "null");
  j += ",\"latency_ms\":{\"p50\":" + ms(0.50) + ",\"p90\":" + ms(0.90) + ",\"p99\":" + ms(0.99) +
       ",\"max\":" + ms(1.0) + "}";
  j += ",\"latency_sample\":\"" +
       (o_.probe_every == 1 ? std::string("all") : "every " + ordinal(o_.probe_every) + " connection") + "\"";
  j += ",\"latency_samples\":" + std::to_string(latencies_.size());
  j += ",\"server_rss_kb_before\":" + opt_num(rss_before_);
  j += ",\"server_rss_kb_after\":" + opt_num(rss_after_);
  j += ",\"server_rss_per_connection_kb\":" + (rss_per_conn ? fixed(*rss_per_conn, 2) : "null");
  j += ",\"trigger_failures\":" + std::to_string(trigger_failures_);
  // Extras that explain the figures above.
  j += ",\"connect_failure_kinds\":{";
  for (std::size_t k = 0; k < kFailureKinds; ++k) {
    j += (k ? ",\"" : "\"") + std::string(kFailureNames[k]) + "\":" + std::to_string(failures_[k]);
  }
  j += "}";
  j += ",\"trigger_connections\":" + std::to_string(o_.trigger_connections);
  j += ",\"batch_ms\":" + std::to_string(o_.batch_ms);
  j += ",\"trigger_rate_achieved_per_s\":" +
       (next_seq_ > 1 && trigger_window > 0 ? fixed(double(next_seq_ - 1) / trigger_window, 3) : "null");
  j += ",\"trigger_response_ms\":{\"p50\":" + resp_ms(0.5) + ",\"max\":" + resp_ms(1.0) + "}";
  j += ",\"duplicates\":" + std::to_string(duplicates());
  j += ",\"out_of_order\":" + (o_.trigger_connections == 1 ? std::to_string(out_of_order_) : "null");
  j += ",\"unexpected_events\":" + std::to_string(unexpected_);
  j += ",\"disconnects\":" + std::to_string(disconnects_);
  j += ",\"timed_out\":" + std::string(timed_out_ ? "true" : "false");
  j += ",\"server_rss_kb_end\":" + opt_num(rss_end_);
  j += ",\"server_cpu_us_per_connection\":" +
       (server_cpu_connect_us_ && subscribed_ ? fixed(double(*server_cpu_connect_us_) / subscribed_, 2) : "null");
  j += ",\"server_cpu_us_per_delivery\":" +
       (server_cpu_publish_us_ && delivered_ ? fixed(double(*server_cpu_publish_us_) / delivered_, 3) : "null");
  j += ",\"generator_cpu_us_per_delivery\":" +
       (delivered_ ? fixed(double(self_cpu_publish_us_) / delivered_, 3) : "null");
  j += "}";
  return j;
}

// Deliveries beyond one per subscriber and event. (A duplicate that hides a
// loss of the same event elsewhere is not seen; the order check catches the
// usual cause, a re-sent event, when there is one publisher.)
std::uint64_t Bench::duplicates() const {
  std::uint64_t extra = 0;
  for (const std::uint32_t n : counts_) extra += n > subscribers_ ? n - subscribers_ : 0;
  return extra;
}

int Bench::exit_code() const {
  const std::uint64_t expected = std::uint64_t(o_.events) * subscribers_;
  std::string why;
  auto add = [&why](bool bad, const std::string& text) {
    if (bad) why += (why.empty() ? "" : ", ") + text;
  };
  add(subscribers_ == 0, "no connection subscribed");
  add(failures_total_ > 0, std::to_string(failures_total_) + " connections failed to subscribe");
  add(trigger_failures_ > 0, std::to_string(trigger_failures_) + " triggers failed");
  add(delivered_ - duplicates() < expected,
      std::to_string(expected - (delivered_ - duplicates())) + " deliveries lost");
  add(duplicates() > 0, std::to_string(duplicates()) + " duplicate deliveries");
  add(out_of_order_ > 0, std::to_string(out_of_order_) + " deliveries out of order");
  add(unexpected_ > 0, std::to_string(unexpected_) + " unexpected events");
  add(disconnects_ > 0, std::to_string(disconnects_) + " subscribers disconnected");
  if (why.empty()) return 0;
  std::fprintf(stderr, "FAILED: %s\n", why.c_str());
  return 1;
}

int Bench::run() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  bulk_epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0 || bulk_epoll_fd_ < 0) {
    std::perror("epoll_create1");
    return 2;
  }
  // --batch-ms 0: no harvesting, every frame is read when it arrives.
  if (o_.batch_ms == 0) follow_bulk();
  conns_.resize(o_.connections);
  for (unsigned k = 0; k < o_.trigger_connections; ++k) {
    triggers_.push_back(std::make_unique<TriggerClient>(
        TriggerClient::Settings{endpoint_, o_.app_id, o_.key, o_.secret, o_.channel, "bench"}, epoll_fd_,
        kTriggerTagBase + k));
  }

  const auto pid = static_cast<pid_t>(o_.server_pid);
  if (o_.server_pid) rss_before_ = read_rss_kb(pid);
  std::fprintf(stderr, "opening %u connections to ws://%s/app/%s (%u source address%s, %u in flight)\n",
               o_.connections, endpoint_.host_header.c_str(), o_.key.c_str(), endpoint_.ipv6 ? 1 : o_.sources,
               (endpoint_.ipv6 || o_.sources == 1) ? "" : "es", o_.max_inflight);
  connect_phase();
  if (o_.server_pid) rss_after_ = read_rss_kb(pid);

  std::fprintf(stderr, "publishing %u events at %.3g/s to %u subscribers of '%s'\n", o_.events, o_.rate,
               subscribed_, o_.channel.c_str());
  publish_phase();
  const std::string json = result_json();
  const int code = exit_code();
  close_phase();
  std::printf("%s\n", json.c_str());
  std::fflush(stdout);
  return code;
}

}  // namespace
}  // namespace pws::bench

int main(int argc, char** argv) {
  using namespace pws::bench;
  int code = 2;
  const auto options = parse_options(argc, argv, code);
  if (!options) return code;

  const auto endpoint = parse_endpoint(options->host, static_cast<std::uint16_t>(options->port));
  if (!endpoint || !is_loopback(*endpoint)) {
    std::fprintf(stderr,
                 "error: --host %s is not a loopback address; this load generator only targets "
                 "127.0.0.0/8, ::1 or localhost, written numerically\n",
                 options->host.c_str());
    return 2;
  }

  // Every connection is a file descriptor: use the whole hard limit.
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    std::perror("setrlimit(RLIMIT_NOFILE)");
    return 2;
  }
  const rlim_t needed = rlim_t(options->connections) + kSpareFds;
  if (limit.rlim_max != RLIM_INFINITY && needed > limit.rlim_max) {
    std::fprintf(stderr,
                 "error: %u connections need %llu file descriptors but the hard limit is %llu; "
                 "run several generators with fewer --connections each\n",
                 options->connections, static_cast<unsigned long long>(needed),
                 static_cast<unsigned long long>(limit.rlim_max));
    return 2;
  }

  // Each source address gives one ephemeral port range towards the server.
  const unsigned long long ports =
      static_cast<unsigned long long>(ephemeral_port_count()) * (endpoint->ipv6 ? 1 : options->sources);
  if (options->connections + 1ull > ports) {
    std::fprintf(stderr, "error: %u connections exceed the %llu ephemeral ports available; raise --sources\n",
                 options->connections, ports);
    return 2;
  }
  if (endpoint->ipv6 && options->sources > 1) {
    std::fprintf(stderr, "note: --sources applies to IPv4 only; using ::1 as the only source\n");
  }

  if (options->server_pid && !read_rss_kb(static_cast<pid_t>(options->server_pid))) {
    std::fprintf(stderr, "error: cannot read /proc/%ld/status (is --server-pid right?)\n", options->server_pid);
    return 2;
  }

  // A peer that resets while we write must not kill the generator.
  signal(SIGPIPE, SIG_IGN);
  Bench bench(*options, *endpoint);
  return bench.run();
}
