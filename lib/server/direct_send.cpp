#include "server/direct_send.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>

#include "server/server_impl.hpp"
#include "server/ws_frame_header.hpp"

namespace pws::server {

void send_queued(WsSession& s) noexcept {
  // One batch, like a coalesced write: the rest waits for the next turn.
  constexpr std::size_t kMaxFrames = 64;
  constexpr std::size_t kMaxBytes = 64 * 1024;
  unsigned char headers[kMaxFrames][kMaxFrameHeader];
  std::size_t wire_sizes[kMaxFrames];
  iovec parts[2 * kMaxFrames];
  std::size_t frames = 0;
  std::size_t bytes = 0;
  while (frames < s.queue.size() && frames < kMaxFrames && bytes < kMaxBytes) {
    const protocol::Frame& frame = s.queue.at(frames);
    const std::size_t header = write_text_frame_header(headers[frames], frame.size());
    parts[2 * frames] = {headers[frames], header};
    parts[2 * frames + 1] = {const_cast<char*>(frame.payload().data()), frame.size()};
    wire_sizes[frames] = header + frame.size();
    bytes += wire_sizes[frames];
    ++frames;
  }
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = 2 * frames;
  const ssize_t sent = ::sendmsg(s.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
  s.partial_sent = 0;
  if (sent < 0) {
    s.send_result = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? SendResult::WouldBlock
                                                                               : SendResult::Failed;
    return;
  }
  auto left = static_cast<std::size_t>(sent);
  for (std::size_t i = 0; i < frames && left >= wire_sizes[i]; ++i) {
    left -= wire_sizes[i];
    s.queue.pop();
  }
  s.partial_sent = left;  // bytes of the (new) front frame already on the wire
  s.send_result = left ? SendResult::Partial : SendResult::Sent;
}

}  // namespace pws::server
