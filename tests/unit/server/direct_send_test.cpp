// Frames written past lws (issue 8: batch writes per connection): the bytes
// on the wire are exactly the RFC 6455 frames, in order, whether the socket
// takes them all, part of them, or none.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "server/direct_send.hpp"
#include "server/server_impl.hpp"
#include "server/ws_frame_header.hpp"

using namespace pws;
using namespace pws::server;

namespace {

struct SocketPair {
  int ours = -1;
  int peer = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    ours = fds[0];
    peer = fds[1];
    ::fcntl(peer, F_SETFL, O_NONBLOCK);
  }
  ~SocketPair() {
    if (ours >= 0) ::close(ours);
    if (peer >= 0) ::close(peer);
  }
  std::string read_all() const {
    std::string out;
    char buffer[65536];
    for (ssize_t n; (n = ::read(peer, buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<std::size_t>(n));
    return out;
  }
};

std::string framed(const std::string& payload) {
  unsigned char header[kMaxFrameHeader];
  const std::size_t size = write_text_frame_header(header, payload.size());
  return std::string(reinterpret_cast<const char*>(header), size) + payload;
}

}  // namespace

TEST_CASE("text frame headers use the shortest length form (RFC 6455 5.2)", "[server][direct_send]") {
  unsigned char header[kMaxFrameHeader];
  CHECK(write_text_frame_header(header, 0) == 2);
  CHECK((header[0] == 0x81 && header[1] == 0));
  CHECK(write_text_frame_header(header, 125) == 2);
  CHECK(header[1] == 125);
  CHECK(write_text_frame_header(header, 126) == 4);
  CHECK((header[1] == 126 && header[2] == 0 && header[3] == 126));
  CHECK(write_text_frame_header(header, 65535) == 4);
  CHECK((header[2] == 0xff && header[3] == 0xff));
  CHECK(write_text_frame_header(header, 65536) == 10);
  CHECK(header[1] == 127);
  CHECK((header[2] == 0 && header[7] == 1 && header[8] == 0 && header[9] == 0));
}

TEST_CASE("queued frames leave in one write, in order, and leave the queue", "[server][direct_send]") {
  SocketPair sockets;
  WsSession session;
  session.fd = sockets.ours;
  const std::string payloads[] = {"{\"event\":\"a\"}", std::string(300, 'b'), std::string(70000, 'c')};
  for (const auto& payload : payloads) session.queue.push(protocol::Frame::from_payload(payload));

  send_queued(session);

  CHECK(session.send_result == SendResult::Sent);
  CHECK(session.queue.empty());
  CHECK(sockets.read_all() == framed(payloads[0]) + framed(payloads[1]) + framed(payloads[2]));
}

TEST_CASE("a socket that takes part of the batch: whole frames leave the queue, the cut one stays with its offset",
          "[server][direct_send]") {
  SocketPair sockets;
  const int small = 4096;
  ::setsockopt(sockets.ours, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  WsSession session;
  session.fd = sockets.ours;
  std::string expected;
  for (char c = 'a'; c <= 'h'; ++c) {
    const std::string payload(5000, c);
    session.queue.push(protocol::Frame::from_payload(payload));
    expected += framed(payload);
  }

  send_queued(session);
  REQUIRE(session.send_result == SendResult::Partial);
  const std::string first = sockets.read_all();
  REQUIRE(!first.empty());
  REQUIRE(first.size() < expected.size());
  CHECK(first == expected.substr(0, first.size()));
  // What left the queue plus the front frame's sent part is exactly what was read.
  const std::size_t frames_gone = 8 - session.queue.size();
  CHECK(frames_gone * framed(std::string(5000, 'a')).size() + session.partial_sent == first.size());
  CHECK(session.partial_sent > 0);
}

TEST_CASE("a full socket is reported as would-block with nothing lost", "[server][direct_send]") {
  SocketPair sockets;
  WsSession session;
  session.fd = sockets.ours;
  ::fcntl(sockets.ours, F_SETFL, O_NONBLOCK);
  const std::string filler(65536, 'x');
  while (::send(sockets.ours, filler.data(), filler.size(), MSG_DONTWAIT) > 0) {
  }
  session.queue.push(protocol::Frame::from_payload("{\"event\":\"late\"}"));
  send_queued(session);
  CHECK(session.send_result == SendResult::WouldBlock);
  CHECK(session.queue.size() == 1);
}

TEST_CASE("a closed peer is a failed write", "[server][direct_send]") {
  SocketPair sockets;
  ::close(sockets.peer);
  sockets.peer = -1;
  WsSession session;
  session.fd = sockets.ours;
  session.queue.push(protocol::Frame::from_payload("{\"event\":\"lost\"}"));
  send_queued(session);
  CHECK(session.send_result == SendResult::Failed);
}
