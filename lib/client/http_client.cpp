// The CLI's HTTP/1.1 client: getaddrinfo, non-blocking connect with poll,
// optional TLS (OpenSSL, SNI, hostname verification), one request per
// connection and an overall deadline. Every failure before the first byte of
// a response is Errc::Unreachable ("no answer"); a broken answer is Errc::Io.
#include "client/http_client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <variant>

namespace pws::client {

namespace {

using Clock = std::chrono::steady_clock;

/// Responses are small JSON documents; anything this large is not pws.
constexpr std::size_t kMaxResponseBytes = 64u * 1024 * 1024;
constexpr std::size_t kMaxHeadBytes = 64u * 1024;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

/// strerror with a lower-case first letter, to fit "pws: error: ...: connection refused".
std::string errno_text(int error) {
  std::string text = std::strerror(error);
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z' && !(text.size() > 1 && text[1] >= 'A' && text[1] <= 'Z'))
    text[0] = static_cast<char>(text[0] - 'A' + 'a');
  return text;
}

std::string host_port(const Url& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  return (v6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

/// "10 s", "0.5 s", "1.25 s": the timeout as the user gave it (--timeout SECS).
std::string duration_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  std::string text = std::to_string(ms / 1000);
  if (const auto fraction = ms % 1000; fraction != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(fraction));
    std::string decimals = buf;
    while (decimals.back() == '0') decimals.pop_back();
    text += decimals;
  }
  return text + " s";
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

/// Blocks SIGPIPE while the request runs (OpenSSL writes with write(2), so a
/// peer that closed early would otherwise kill the process) and discards a
/// SIGPIPE raised meanwhile.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    ::sigemptyset(&pipe_);
    ::sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    ::sigemptyset(&pending);
    ::sigpending(&pending);
    was_pending_ = ::sigismember(&pending, SIGPIPE) == 1;
    blocked_ = ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    if (!was_pending_) {
      sigset_t pending;
      ::sigemptyset(&pending);
      ::sigpending(&pending);
      if (::sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{};
        ::sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
  bool blocked_ = false;
};

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() { reset(); }
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  int get() const noexcept { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

/// Kinds of I/O failure: the deadline passed, the peer ended a TLS stream,
/// or anything else.
enum class IoKind { Timeout, Closed, Failed };
struct IoError {
  IoKind kind;
  std::string reason;
};

template <class T>
using IoResult = std::variant<T, IoError>;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  if (left <= 0) return 0;
  return left > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left) + 1;
}

/// When a request gives up: at its deadline, or earlier once cancelled.
struct Deadline {
  Clock::time_point at;
  std::chrono::milliseconds timeout;
  const std::atomic<bool>* cancel = nullptr;

  bool cancelled() const noexcept { return cancel != nullptr && cancel->load(std::memory_order_relaxed); }
  /// Why waiting stopped: "cancelled" or "timed out after 10 s".
  std::string reason() const { return cancelled() ? "cancelled" : "timed out after " + duration_text(timeout); }
};

/// A cancellable wait polls in slices this long, so a cancel takes effect
/// without a wake-up descriptor.
constexpr int kCancelCheckMs = 100;

/// Waits until `fd` is ready for `events`; false when the deadline passed
/// or the request was cancelled.
bool wait_for(int fd, short events, const Deadline& deadline) {
  while (true) {
    if (deadline.cancelled()) return false;
    int timeout = remaining_ms(deadline.at);
    if (timeout == 0) return false;
    if (deadline.cancel != nullptr) timeout = std::min(timeout, kCancelCheckMs);
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, timeout);
    if (rc > 0) return true;  // readiness or an error condition: the next call reports it
    if (rc == 0) {
      if (Clock::now() >= deadline.at) return false;
      continue;
    }
    if (errno != EINTR) return true;
  }
}

// ---- connecting -----------------------------------------------------------------------

Result<Socket> connect_tcp(const Url& server, const Deadline& deadline) {
  const std::string where = host_port(server);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(server.port);
  const int rc = ::getaddrinfo(server.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    const std::string reason = rc == EAI_SYSTEM ? errno_text(errno) : ::gai_strerror(rc);
    return make_error(Errc::Unreachable, "cannot resolve host \"" + server.host + "\": " + lower(reason));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);

  std::string last_reason = "no address";
  for (const addrinfo* ai = list.get(); ai != nullptr; ai = ai->ai_next) {
    Socket sock(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (sock.get() < 0) {
      last_reason = errno_text(errno);
      continue;
    }
    int result = ::connect(sock.get(), ai->ai_addr, ai->ai_addrlen);
    if (result != 0 && errno != EINPROGRESS && errno != EINTR) {
      last_reason = errno_text(errno);
      continue;
    }
    if (result != 0) {
      if (!wait_for(sock.get(), POLLOUT, deadline))
        return make_error(Errc::Unreachable, "cannot connect to " + where + ": " + deadline.reason());
      int error = 0;
      socklen_t length = sizeof error;
      if (::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
      if (error != 0) {
        last_reason = errno_text(error);
        continue;
      }
    }
    return sock;
  }
  return make_error(Errc::Unreachable, "cannot connect to " + where + ": " + last_reason);
}

// ---- the byte stream: plain TCP or TLS -----------------------------------------------

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};

/// The most specific OpenSSL error text of the queue (and clears it).
std::string openssl_reason() {
  unsigned long last = 0;
  while (const unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return {};
  if (const char* reason = ERR_reason_error_string(last)) return reason;
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

class Stream {
 public:
  Stream(Socket sock, const Deadline& deadline) : sock_(std::move(sock)), deadline_(deadline) {}

  /// TLS handshake with SNI and certificate/host verification. Errors are
  /// reasons ("certificate verify failed: ...").
  std::optional<IoError> start_tls(const Url& server, const TransportOptions& options) {
    ERR_clear_error();
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) return IoError{IoKind::Failed, "cannot create a TLS context: " + openssl_reason()};
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    SSL_CTX_set_options(ctx_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    if (options.verify_tls) {
      SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
      SSL_CTX_set_default_verify_paths(ctx_.get());
      if (!options.ca_file.empty() &&
          SSL_CTX_load_verify_locations(ctx_.get(), options.ca_file.c_str(), nullptr) != 1)
        return IoError{IoKind::Failed, "cannot load CA file " + options.ca_file + ": " + openssl_reason()};
    } else {
      SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_NONE, nullptr);
    }
    ssl_.reset(SSL_new(ctx_.get()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), sock_.get()) != 1)
      return IoError{IoKind::Failed, "cannot set up TLS: " + openssl_reason()};

    const bool ip = is_ip_address(server.host);
    if (!ip) SSL_set_tlsext_host_name(ssl_.get(), server.host.c_str());  // SNI is for names only
    if (options.verify_tls) {
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
      const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server.host.c_str())
                        : X509_VERIFY_PARAM_set1_host(param, server.host.c_str(), 0);
      if (ok != 1) return IoError{IoKind::Failed, "cannot set the expected host name: " + openssl_reason()};
      if (!ip) X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    }

    while (true) {
      ERR_clear_error();
      errno = 0;
      const int rc = SSL_connect(ssl_.get());
      if (rc == 1) return std::nullopt;
      const int error = SSL_get_error(ssl_.get(), rc);
      if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
        if (!wait_for(sock_.get(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_))
          return IoError{IoKind::Timeout, deadline_.reason()};
        continue;
      }
      const long verify = SSL_get_verify_result(ssl_.get());
      if (options.verify_tls && verify != X509_V_OK)
        return IoError{IoKind::Failed,
                       std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify)};
      if (error == SSL_ERROR_SYSCALL) {
        const int saved = errno;
        const auto reason = openssl_reason();
        if (!reason.empty()) return IoError{IoKind::Failed, reason};
        return IoError{IoKind::Failed, saved != 0 ? errno_text(saved) : "connection closed during the TLS handshake"};
      }
      if (error == SSL_ERROR_ZERO_RETURN) return IoError{IoKind::Failed, "connection closed during the TLS handshake"};
      const auto reason = openssl_reason();
      return IoError{IoKind::Failed, reason.empty() ? "TLS handshake failed" : reason};
    }
  }

  std::optional<IoError> write_all(std::string_view data) {
    while (!data.empty()) {
      if (ssl_) {
        ERR_clear_error();
        errno = 0;
        const int rc = SSL_write(ssl_.get(), data.data(), static_cast<int>(std::min<std::size_t>(data.size(), 1 << 30)));
        if (rc > 0) {
          data.remove_prefix(static_cast<std::size_t>(rc));
          continue;
        }
        if (auto failed = after_ssl_call(rc)) return failed;
        continue;
      }
      const ssize_t n = ::send(sock_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (!wait_for(sock_.get(), POLLOUT, deadline_)) return timed_out();
        continue;
      }
      return IoError{IoKind::Failed, n < 0 ? errno_text(errno) : "connection closed"};
    }
    return std::nullopt;
  }

  /// Bytes read into `buf`; 0 at the end of the stream.
  IoResult<std::size_t> read(char* buf, std::size_t size) {
    while (true) {
      if (ssl_) {
        ERR_clear_error();
        errno = 0;
        const int rc = SSL_read(ssl_.get(), buf, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
        if (rc > 0) return static_cast<std::size_t>(rc);
        if (auto failed = after_ssl_call(rc)) {
          if (failed->kind == IoKind::Closed) return std::size_t{0};
          return *failed;
        }
        continue;
      }
      const ssize_t n = ::recv(sock_.get(), buf, size, 0);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!wait_for(sock_.get(), POLLIN, deadline_)) return timed_out();
        continue;
      }
      return IoError{IoKind::Failed, errno_text(errno)};
    }
  }

 private:
  IoError timed_out() const { return IoError{IoKind::Timeout, deadline_.reason()}; }

  /// After an SSL_read or SSL_write that returned `rc` <= 0 (errno and the
  /// OpenSSL error queue as it left them): nullopt when OpenSSL wanted the
  /// socket and it is ready now (call again); IoKind::Closed when the peer
  /// ended the stream (close_notify, or an EOF with no error); else why it failed.
  std::optional<IoError> after_ssl_call(int rc) {
    const int error = SSL_get_error(ssl_.get(), rc);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!wait_for(sock_.get(), error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_)) return timed_out();
      return std::nullopt;
    }
    const int saved = errno;
    const auto reason = openssl_reason();
    if (error == SSL_ERROR_ZERO_RETURN || (error == SSL_ERROR_SYSCALL && saved == 0 && reason.empty()))
      return IoError{IoKind::Closed, "connection closed"};
    return IoError{IoKind::Failed, !reason.empty() ? reason : saved != 0 ? errno_text(saved) : "connection closed"};
  }

  Socket sock_;
  Deadline deadline_;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
};

// ---- response parsing -------------------------------------------------------------------

Error bad_response(std::string why) { return make_error(Errc::Io, std::move(why)); }

/// One line from `pos` (without its CRLF or LF); nullopt when no line end yet.
std::optional<std::string_view> next_line(std::string_view raw, std::size_t& pos) {
  const auto lf = raw.find('\n', pos);
  if (lf == std::string_view::npos) return std::nullopt;
  auto line = raw.substr(pos, lf - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = lf + 1;
  return line;
}

/// Decodes a chunked body starting at `pos`. nullopt = more bytes needed.
Result<std::optional<std::string>> decode_chunked(std::string_view raw, std::size_t pos, bool at_eof) {
  std::string body;
  while (true) {
    const auto size_line = next_line(raw, pos);
    if (!size_line) break;
    auto digits = size_line->substr(0, size_line->find(';'));
    digits = trim(digits);
    if (digits.empty() || digits.size() > 15)
      return bad_response("invalid chunk size \"" + std::string(*size_line) + "\"");
    std::size_t size = 0;
    for (const char c : digits) {
      int v = -1;
      if (c >= '0' && c <= '9') v = c - '0';
      else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
      if (v < 0) return bad_response("invalid chunk size \"" + std::string(*size_line) + "\"");
      size = size * 16 + static_cast<std::size_t>(v);
    }
    if (size == 0) {
      // Trailer fields up to an empty line; a peer that closes right after
      // the last chunk is accepted too.
      while (true) {
        const auto trailer = next_line(raw, pos);
        if (!trailer) {
          if (at_eof) return std::optional<std::string>(std::move(body));
          return std::optional<std::string>();
        }
        if (trailer->empty()) return std::optional<std::string>(std::move(body));
      }
    }
    if (body.size() + size > kMaxResponseBytes) return bad_response("response body too large");
    if (raw.size() - pos < size) break;
    body.append(raw.substr(pos, size));
    pos += size;
    // The chunk's own CRLF.
    if (raw.size() - pos < 1) break;
    if (raw[pos] == '\r') {
      if (raw.size() - pos < 2) break;
      if (raw[pos + 1] != '\n') return bad_response("chunk not followed by CRLF");
      pos += 2;
    } else if (raw[pos] == '\n') {
      pos += 1;
    } else {
      return bad_response("chunk longer than its announced size");
    }
  }
  if (at_eof) return bad_response("response truncated: the connection closed inside a chunked body");
  return std::optional<std::string>();
}

}  // namespace

Result<std::optional<HttpResponse>> parse_response(std::string_view raw, bool at_eof, bool head_request) {
  while (true) {
    // The head ends at the first empty line.
    std::size_t pos = 0;
    std::optional<std::size_t> head_end;
    for (std::size_t index = 0;; ++index) {
      const auto line = next_line(raw, pos);
      if (!line) break;
      if (line->empty() && index > 0) {
        head_end = pos;
        break;
      }
    }
    if (!head_end) {
      if (raw.size() > kMaxHeadBytes) return bad_response("response headers too large");
      if (!at_eof) return std::optional<HttpResponse>();
      if (raw.empty()) return bad_response("connection closed without a response");
      return bad_response("response truncated inside its headers");
    }
    if (*head_end > kMaxHeadBytes) return bad_response("response headers too large");

    HttpResponse response;
    pos = 0;
    const auto status_line = *next_line(raw, pos);
    // "HTTP/1.1 200 OK"
    if (!status_line.starts_with("HTTP/") || status_line.size() < 12 || status_line[8] != ' ')
      return bad_response("not an HTTP response: \"" + std::string(status_line.substr(0, 60)) + "\"");
    const auto code = status_line.substr(9, 3);
    if (code[0] < '1' || code[0] > '5' || code[1] < '0' || code[1] > '9' || code[2] < '0' || code[2] > '9' ||
        (status_line.size() > 12 && status_line[12] != ' '))
      return bad_response("invalid status line \"" + std::string(status_line.substr(0, 60)) + "\"");
    response.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');

    std::optional<std::size_t> content_length;
    bool chunked = false;
    while (pos < *head_end) {
      const auto line = *next_line(raw, pos);
      if (line.empty()) break;
      const auto colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return bad_response("malformed header line \"" + std::string(line.substr(0, 60)) + "\"");
      auto name = lower(trim(line.substr(0, colon)));
      const auto value = std::string(trim(line.substr(colon + 1)));
      if (name == "content-length") {
        std::size_t length = 0;
        if (value.empty() || value.size() > 15) return bad_response("invalid Content-Length \"" + value + "\"");
        for (const char c : value) {
          if (c < '0' || c > '9') return bad_response("invalid Content-Length \"" + value + "\"");
          length = length * 10 + static_cast<std::size_t>(c - '0');
        }
        if (content_length && *content_length != length) return bad_response("conflicting Content-Length headers");
        content_length = length;
      } else if (name == "transfer-encoding") {
        const auto codings = lower(value);
        const auto last = codings.substr(codings.rfind(',') == std::string::npos ? 0 : codings.rfind(',') + 1);
        chunked = trim(last) == "chunked";
        if (!chunked) return bad_response("unsupported Transfer-Encoding \"" + value + "\"");
      }
      response.headers.emplace_back(std::move(name), value);
    }

    const std::string_view rest = raw.substr(*head_end);
    // Interim 1xx responses (100 Continue, 103 Early Hints) precede the real one.
    if (response.status >= 100 && response.status < 200 && response.status != 101) {
      raw = rest;
      continue;
    }
    if (head_request || response.status == 204 || response.status == 304 || response.status == 101)
      return std::optional<HttpResponse>(std::move(response));

    if (chunked) {
      auto body = decode_chunked(raw, *head_end, at_eof);
      if (!body) return body.error();
      if (!*body) return std::optional<HttpResponse>();
      response.body = std::move(**body);
      return std::optional<HttpResponse>(std::move(response));
    }
    if (content_length) {
      if (*content_length > kMaxResponseBytes) return bad_response("response body too large");
      if (rest.size() < *content_length) {
        if (!at_eof) return std::optional<HttpResponse>();
        return bad_response("response truncated: got " + std::to_string(rest.size()) + " of " +
                            std::to_string(*content_length) + " body bytes");
      }
      response.body = std::string(rest.substr(0, *content_length));
      return std::optional<HttpResponse>(std::move(response));
    }
    // No length: the body runs until the server closes the connection.
    if (!at_eof) {
      if (rest.size() > kMaxResponseBytes) return bad_response("response body too large");
      return std::optional<HttpResponse>();
    }
    response.body = std::string(rest);
    return std::optional<HttpResponse>(std::move(response));
  }
}

namespace {

std::string format_request(const Url& server, std::string_view method, std::string_view target,
                           std::string_view body, const TransportOptions& options) {
  std::string host = server.host.find(':') != std::string::npos ? "[" + server.host + "]" : server.host;
  if (server.port != (server.tls ? 443 : 80)) host += ":" + std::to_string(server.port);
  std::string out;
  out.reserve(256 + target.size() + body.size());
  out.append(method);
  out.push_back(' ');
  out.append(target.empty() ? std::string_view("/") : target);
  out.append(" HTTP/1.1\r\nHost: ");
  out.append(host);
  out.append("\r\n");
  // A configured User-Agent or Accept replaces the default one instead of
  // repeating the header.
  auto configured = [&](std::string_view name) {
    return std::any_of(options.headers.begin(), options.headers.end(),
                       [&](const auto& header) { return lower(header.first) == name; });
  };
  if (!configured("user-agent")) out.append("User-Agent: ").append(options.user_agent).append("\r\n");
  if (!configured("accept")) out.append("Accept: application/json\r\n");
  out.append("Connection: close\r\n");
  const bool sends_body = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (sends_body) {
    out.append("Content-Type: application/json\r\nContent-Length: ");
    out.append(std::to_string(body.size()));
    out.append("\r\n");
  }
  for (const auto& [name, value] : options.headers) {
    out.append(name);
    out.append(": ");
    out.append(value);
    out.append("\r\n");
  }
  out.append("\r\n");
  out.append(body);
  return out;
}

}  // namespace

const std::string* find_header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers)
    if (key == name) return &value;
  return nullptr;
}

Result<HttpResponse> http_request(const Url& server, std::string_view method, std::string_view target,
                                  std::string_view body, const TransportOptions& options) {
  const SigpipeGuard no_sigpipe;
  const auto timeout = options.timeout.count() > 0 ? options.timeout : std::chrono::milliseconds(10000);
  const Deadline deadline{Clock::now() + timeout, timeout, options.cancel};
  const std::string where = host_port(server);

  auto sock = connect_tcp(server, deadline);
  if (!sock) return sock.error();
  Stream stream(std::move(*sock), deadline);
  if (server.tls) {
    if (auto failed = stream.start_tls(server, options))
      return make_error(Errc::Unreachable, "TLS handshake with " + where + " failed: " + failed->reason);
  }

  // A server may answer (e.g. 413) and close before reading the whole
  // request, so a failed write is reported only when no answer follows.
  const auto write_failed = stream.write_all(format_request(server, method, target, body, options));
  if (write_failed && write_failed->kind == IoKind::Timeout)
    return make_error(Errc::Unreachable, "no answer from " + where + ": " + write_failed->reason);

  std::string received;
  char buf[16384];
  bool eof = false;
  while (true) {
    auto parsed = parse_response(received, eof, method == "HEAD");
    if (!parsed) {
      if (received.empty()) {
        const std::string reason = write_failed ? write_failed->reason : "the connection closed without a response";
        return make_error(Errc::Unreachable, "no answer from " + where + ": " + reason);
      }
      return make_error(Errc::Io, "invalid response from " + where + ": " + parsed.error().message);
    }
    if (*parsed) return std::move(**parsed);
    if (received.size() > kMaxResponseBytes + kMaxHeadBytes)
      return make_error(Errc::Io, "invalid response from " + where + ": response too large");

    auto got = stream.read(buf, sizeof buf);
    if (auto* failure = std::get_if<IoError>(&got)) {
      if (failure->kind == IoKind::Timeout)
        return make_error(Errc::Unreachable, std::string(received.empty() ? "no answer" : "incomplete answer") +
                                                 " from " + where + ": " + failure->reason);
      if (received.empty()) {
        const std::string reason = write_failed ? write_failed->reason : failure->reason;
        return make_error(Errc::Unreachable, "no answer from " + where + ": " + reason);
      }
      return make_error(Errc::Io, "incomplete response from " + where + ": " + failure->reason);
    }
    const auto n = std::get<std::size_t>(got);
    if (n == 0)
      eof = true;
    else
      received.append(buf, n);
  }
}

Status probe_tcp(const Url& server, std::chrono::milliseconds timeout) {
  auto sock = connect_tcp(server, Deadline{Clock::now() + timeout, timeout});
  if (!sock) return sock.error();
  return Ok{};
}

}  // namespace pws::client
