#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "client/test_server.hpp"
#include "client/ws_client.hpp"

using namespace pws;
using namespace pws::client;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using test::Reply;
using test::TestServer;

namespace {

Url local(int port) { return Url{false, "127.0.0.1", port, ""}; }

TransportOptions quick(std::chrono::milliseconds timeout = 5000ms) {
  TransportOptions options;
  options.timeout = timeout;
  return options;
}

Reply respond(std::string_view status, std::string_view body) {
  return Reply{{"HTTP/1.1 " + std::string(status) + "\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + std::string(body)},
               0ms, false, false};
}

/// One server-to-client frame (unmasked).
std::string frame(int opcode, std::string_view payload, bool fin = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | opcode));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(payload.size()));
  } else if (payload.size() < 65536) {
    out.push_back(126);
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((payload.size() >> shift) & 0xff));
  }
  out.append(payload);
  return out;
}

std::string close_frame(int code, std::string_view reason) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason);
  return frame(0x8, payload);
}

/// A WebSocket server for one connection: answers the upgrade properly
/// (Sec-WebSocket-Accept), then writes `frames` and waits for the client to
/// go away (or `hold` to end).
class WsTestServer {
 public:
  /// `with_answer`: the first frame goes out in the same write as the 101.
  explicit WsTestServer(std::vector<std::string> frames, bool hold = false, bool with_answer = false)
      : frames_(std::move(frames)), hold_(hold), with_answer_(with_answer) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 4) != 0)
      throw std::runtime_error("bind/listen failed");
    socklen_t length = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~WsTestServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  int port() const noexcept { return port_; }
  std::string request() const {
    std::lock_guard lock(mutex_);
    return request_;
  }

 private:
  bool readable(int fd, int ms = 20) const {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, ms) > 0;
  }

  static std::string accept_key(const std::string& key) {
    const std::string text = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    unsigned char out[64];
    const int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
    return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(n));
  }

  void run() {
    while (!stop_ && !readable(listener_)) {
    }
    if (stop_) return;
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::string data;
    char buf[4096];
    while (!stop_ && data.find("\r\n\r\n") == std::string::npos) {
      if (!readable(fd)) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
    }
    {
      std::lock_guard lock(mutex_);
      request_ = data;
    }
    std::string key;
    for (const char* name : {"Sec-WebSocket-Key: ", "sec-websocket-key: "}) {
      const auto at = data.find(name);
      if (at != std::string::npos) {
        const auto start = at + std::strlen(name);
        key = data.substr(start, data.find("\r\n", start) - start);
      }
    }
    std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: " +
                         accept_key(key) + "\r\n\r\n";
    std::size_t first = 0;
    if (with_answer_ && !frames_.empty()) answer += frames_[first++];
    ::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
    for (std::size_t i = first; i < frames_.size(); ++i) {
      const auto& f = frames_[i];
      std::this_thread::sleep_for(5ms);
      ::send(fd, f.data(), f.size(), MSG_NOSIGNAL);
    }
    // Drain what the client sends until it closes (or we are told to stop).
    while (!stop_) {
      if (!readable(fd)) continue;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0 && !hold_) break;
      if (n <= 0) std::this_thread::sleep_for(10ms);
    }
    ::close(fd);
  }

  std::vector<std::string> frames_;
  bool hold_;
  bool with_answer_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string request_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("WsClient: nothing listening is Unreachable without a status", "[client][ws]") {
  WsClient ws(local(test::unused_port()), quick());
  const auto error = ws.connect("/feed");
  REQUIRE(error.has_value());
  CHECK(error->status == 0);
  CHECK(error->code == Errc::Unreachable);
  CHECK_THAT(error->message, Contains("127.0.0.1:"));
}

TEST_CASE("WsClient: a refused upgrade reports its HTTP status", "[client][ws]") {
  for (const auto& [status, code] : {std::pair{"401 Unauthorized", 401}, std::pair{"403 Forbidden", 403},
                                     std::pair{"404 Not Found", 404}}) {
    INFO(status);
    TestServer server({respond(status, R"({"error":"no","code":1})")});
    WsClient ws(local(server.port()), quick());
    const auto error = ws.connect("/feed?app_id=1");
    REQUIRE(error.has_value());
    CHECK(error->status == code);
    CHECK(error->code == Errc::Io);
    REQUIRE(server.requests().size() == 1);
    CHECK_THAT(server.requests()[0], Contains("GET /feed?app_id=1 HTTP/1.1"));
  }
}

TEST_CASE("WsClient: a server that never answers times out", "[client][ws]") {
  TestServer server({Reply{{}, 0ms, true, false}});
  WsClient ws(local(server.port()), quick(300ms));
  const auto start = std::chrono::steady_clock::now();
  const auto error = ws.connect("/feed");
  REQUIRE(error.has_value());
  CHECK(error->status == 0);
  CHECK(error->code == Errc::Unreachable);
  CHECK_THAT(error->message, Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("WsClient: delivers whole messages (fragments assembled) and the close code", "[client][ws]") {
  const std::string big(150000, 'x');
  WsTestServer server({frame(0x1, "hello"), frame(0x1, "frag", false), frame(0x0, "men", false),
                       frame(0x0, "ted"), frame(0x1, big), close_frame(4200, "bye")});
  WsClient ws(local(server.port()), quick());
  REQUIRE_FALSE(ws.connect("/prefix/feed?x=1").has_value());
  std::vector<std::string> messages;
  const auto end = ws.run([&](std::string_view m) { messages.emplace_back(m); });
  CHECK_FALSE(end.stopped);
  CHECK(end.close_code == 4200);
  CHECK(end.reason == "bye");
  REQUIRE(messages.size() == 3);
  CHECK(messages[0] == "hello");
  CHECK(messages[1] == "fragmented");
  CHECK(messages[2] == big);
  CHECK_THAT(server.request(), Contains("GET /prefix/feed?x=1 HTTP/1.1"));
  CHECK_THAT(server.request(), Contains("Host: 127.0.0.1:"));
}

TEST_CASE("WsClient: a message sent with the upgrade's answer is delivered by run()", "[client][ws]") {
  WsTestServer server({frame(0x1, "first"), frame(0x1, "second"), close_frame(1000, "")}, false, true);
  WsClient ws(local(server.port()), quick());
  REQUIRE_FALSE(ws.connect("/feed").has_value());
  std::vector<std::string> messages;
  const auto end = ws.run([&](std::string_view m) { messages.emplace_back(m); });
  CHECK(messages == std::vector<std::string>{"first", "second"});
  CHECK(end.close_code == 1000);
}

TEST_CASE("WsClient: stop() from another thread ends run()", "[client][ws]") {
  WsTestServer server({frame(0x1, "one")}, true);
  WsClient ws(local(server.port()), quick());
  REQUIRE_FALSE(ws.connect("/feed").has_value());
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    ws.stop();
  });
  std::vector<std::string> messages;
  const auto end = ws.run([&](std::string_view m) { messages.emplace_back(m); });
  stopper.join();
  CHECK(end.stopped);
  CHECK(messages == std::vector<std::string>{"one"});
  CHECK(ws.connect("/feed").has_value());  // stopped for good
}
