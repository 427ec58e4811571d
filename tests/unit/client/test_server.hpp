// Fixtures of the client tests: a tiny scripted HTTP server on 127.0.0.1
// (one thread, one connection at a time) and scoped environment variables.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/fixtures.hpp"

namespace pws::client::test {

/// What the server does with each connection, in order of arrival.
struct Reply {
  /// Pieces written one after the other, `pause` apart.
  std::vector<std::string> pieces;
  std::chrono::milliseconds pause{0};
  /// Never answer: hold the connection open until the server is destroyed.
  bool silent = false;
  /// Close right after accepting, without reading or writing.
  bool close_at_once = false;
  /// Write the pieces at once, without waiting for a request.
  bool skip_request = false;
};

class TestServer {
 public:
  explicit TestServer(std::vector<Reply> replies) : replies_(std::move(replies)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener_ < 0) throw std::runtime_error("socket failed");
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener_, 8) != 0)
      throw std::runtime_error("bind/listen failed");
    socklen_t length = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~TestServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const noexcept { return port_; }

  /// The raw requests received so far (head and body).
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  /// Waits for `fd` to become readable, giving up when the server stops.
  bool readable(int fd) const {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

  /// Reads one request: the head, then Content-Length bytes of body.
  std::string read_request(int fd) const {
    std::string data;
    char buf[4096];
    while (readable(fd)) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      const auto end = data.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      std::size_t length = 0;
      const auto cl = data.find("Content-Length: ");
      if (cl != std::string::npos && cl < end) length = std::strtoul(data.c_str() + cl + 16, nullptr, 10);
      if (data.size() >= end + 4 + length) break;
    }
    return data;
  }

  void run() {
    for (const auto& reply : replies_) {
      if (!readable(listener_)) return;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      if (reply.close_at_once) {
        ::close(fd);
        continue;
      }
      auto request = reply.skip_request ? std::string() : read_request(fd);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(std::move(request));
      }
      if (reply.silent) {
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ::close(fd);
        return;
      }
      for (std::size_t i = 0; i < reply.pieces.size(); ++i) {
        if (i > 0 && reply.pause.count() > 0) std::this_thread::sleep_for(reply.pause);
        const auto& piece = reply.pieces[i];
        ::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL);
      }
      ::close(fd);
    }
  }

  std::vector<Reply> replies_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

/// A port on 127.0.0.1 with nothing listening (bound once, then released).
inline int unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t length = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
  ::close(fd);
  return ntohs(addr.sin_port);
}

using pws::testing::ScopedEnv;

/// No PUSHER_APP_* and no PWS_URL for the scope of a test.
struct CleanClientEnv {
  ScopedEnv id{"PUSHER_APP_ID", std::nullopt};
  ScopedEnv key{"PUSHER_APP_KEY", std::nullopt};
  ScopedEnv secret{"PUSHER_APP_SECRET", std::nullopt};
  ScopedEnv url{"PWS_URL", std::nullopt};
};

}  // namespace pws::client::test
