// Implementation of the HTTP API publisher (see trigger_client.hpp).
#include "bench/trigger_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "bench/proc_sampler.hpp"
#include "http_api/signing.hpp"

namespace pws::bench {

namespace {

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

TriggerClient::TriggerClient(Settings settings, int epoll_fd, std::uint64_t tag)
    : settings_(std::move(settings)), epoll_fd_(epoll_fd), tag_(tag) {}

TriggerClient::~TriggerClient() { close(); }

void TriggerClient::close() {
  if (fd_ >= 0) ::close(fd_);  // closing also removes it from the epoll set
  fd_ = -1;
  state_ = State::kDisconnected;
  in_.clear();
  out_.clear();
}

void TriggerClient::trigger(std::uint64_t seq, const std::string& channel) {
  seq_ = seq;
  channel_ = &channel;
  busy_ = true;
  close_after_response_ = false;
  if (state_ == State::kConnected) {
    write_request();
  } else if (state_ == State::kDisconnected) {
    connect_now();  // the request is written once the connection is up
  }
}

void TriggerClient::connect_now() {
  fd_ = ::socket(settings_.endpoint.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail(std::string("socket: ") + std::strerror(errno));
  const int one = 1;
  // Requests are single small writes; Nagle would only add delay.
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u64 = tag_;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd_, &ev) != 0) {
    return fail(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  const auto* addr = reinterpret_cast<const sockaddr*>(&settings_.endpoint.addr);
  if (::connect(fd_, addr, settings_.endpoint.len) == 0) {
    state_ = State::kConnected;
    if (busy_) write_request();
  } else if (errno == EINPROGRESS) {
    state_ = State::kConnecting;
  } else {
    fail(std::string("connect: ") + std::strerror(errno));
  }
}

void TriggerClient::write_request() {
  sent_ns_ = now_ns();
  // data is a JSON string holding {"seq":N,"t":ns}, escaped once for the body.
  std::string body = "{\"name\":\"" + settings_.event_name + "\",\"channel\":\"" + *channel_ +
                     "\",\"data\":\"{\\\"seq\\\":" + std::to_string(seq_) + ",\\\"t\\\":" +
                     std::to_string(sent_ns_) + "}\"}";
  const auto unix_now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  // Signed exactly as the SDKs and `pws trigger` sign (http_api/signing);
  // the path prefix is not part of the signed path.
  const std::string path = "/apps/" + settings_.app_id + "/events";
  const std::string query =
      http_api::signed_query(settings_.key, settings_.secret, "POST", path, body, static_cast<std::int64_t>(unix_now));
  out_ = "POST " + settings_.endpoint.path_prefix + path + "?" + query + " HTTP/1.1\r\nHost: " +
         settings_.endpoint.host_header + "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: keep-alive\r\n\r\n" + body;
  flush();
}

void TriggerClient::flush() {
  while (!out_.empty() && fd_ >= 0) {
    const ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out_.erase(0, static_cast<std::size_t>(n));
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // EPOLLOUT resumes it
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return fail(std::string("send: ") + std::strerror(errno));
    }
  }
}

void TriggerClient::on_event(std::uint32_t events) {
  if (fd_ < 0) return;
  if (state_ == State::kConnecting) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(std::string("connect: ") + std::strerror(err));
    if (!(events & EPOLLOUT)) return;
    state_ = State::kConnected;
    if (busy_) write_request();
  }
  if ((events & EPOLLOUT) && !out_.empty()) flush();
  if (fd_ >= 0 && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) read_available();
}

void TriggerClient::read_available() {
  char buf[16384];
  while (fd_ >= 0) {
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      while (busy_ && parse_response()) {
      }
      if (in_.size() > (1u << 20)) return fail("response too large");
      if (static_cast<std::size_t>(n) < sizeof buf) return;  // drained (edge-triggered)
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EOF or error. A keep-alive close between requests is normal.
    if (busy_) {
      fail(n == 0 ? "connection closed before the response" : std::string("recv: ") + std::strerror(errno));
    } else {
      close();
    }
    return;
  }
}

bool TriggerClient::parse_response() {
  const std::size_t header_end = in_.find("\r\n\r\n");
  if (header_end == std::string::npos) return false;
  const std::string_view head(in_.data(), header_end);
  int status = 0;
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") {
    fail("malformed response");
    return false;
  }
  status = std::atoi(std::string(head.substr(9, 3)).c_str());

  long long content_length = -1;
  bool chunked = false;
  bool conn_close = head.substr(0, 8) == "HTTP/1.0";  // 1.0 closes unless told otherwise
  std::size_t line_start = head.find("\r\n");
  while (line_start != std::string_view::npos && line_start < head.size()) {
    line_start += 2;
    std::size_t line_end = head.find("\r\n", line_start);
    if (line_end == std::string_view::npos) line_end = head.size();
    const std::string_view line = head.substr(line_start, line_end - line_start);
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view value = trim(line.substr(colon + 1));
      if (iequals_prefix(line, "content-length:")) {
        content_length = std::atoll(std::string(value).c_str());
      } else if (iequals_prefix(line, "transfer-encoding:")) {
        chunked = lower(value).find("chunked") != std::string::npos;
      } else if (iequals_prefix(line, "connection:")) {
        const std::string v = lower(value);
        if (v.find("close") != std::string::npos) conn_close = true;
        if (v.find("keep-alive") != std::string::npos) conn_close = false;
      }
    }
    line_start = line_end;
  }

  const std::size_t body_start = header_end + 4;
  std::size_t consumed = 0;
  std::string body;
  if (chunked) {
    std::size_t pos = body_start;
    while (true) {
      const std::size_t size_end = in_.find("\r\n", pos);
      if (size_end == std::string::npos) return false;
      const std::size_t chunk = std::strtoull(in_.c_str() + pos, nullptr, 16);
      if (chunk == 0) {
        // No trailers are expected; the last chunk is followed by one CRLF.
        if (in_.size() < size_end + 4) return false;
        consumed = size_end + 4;
        break;
      }
      if (in_.size() < size_end + 2 + chunk + 2) return false;
      body.append(in_, size_end + 2, chunk);
      pos = size_end + 2 + chunk + 2;
    }
  } else if (content_length >= 0) {
    if (in_.size() < body_start + static_cast<std::size_t>(content_length)) return false;
    body.assign(in_, body_start, static_cast<std::size_t>(content_length));
    consumed = body_start + static_cast<std::size_t>(content_length);
  } else if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
    consumed = body_start;
  } else {
    // Neither a length nor chunks: the body runs to the end of the
    // connection, which we never wait for; take what is here and reconnect.
    body.assign(in_, body_start);
    consumed = in_.size();
    conn_close = true;
  }
  in_.erase(0, consumed);
  if (status >= 100 && status < 200) return true;  // interim response; the real one follows
  close_after_response_ = conn_close;
  finish(status, status == 200 ? std::string() : body.substr(0, 200));
  return true;
}

void TriggerClient::fail(const std::string& why) {
  const bool was_busy = busy_;
  close();
  if (was_busy) finish(0, why);
}

void TriggerClient::finish(int status, std::string detail) {
  busy_ = false;
  results_.push_back(Result{seq_, status, sent_ns_, now_ns(), std::move(detail)});
  if (close_after_response_) close();
  close_after_response_ = false;
}

}  // namespace pws::bench
