// Frame: one encoded server->client message, immutable once built and shared
// by every recipient of a broadcast (serialised once, queued N times).
// The buffer starts with kFrameHeadroom spare bytes so the transport can put
// its WebSocket header in front without copying the payload.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace pws::protocol {

/// Spare bytes in front of every payload; at least libwebsockets' LWS_PRE
/// (16) and enough for our own 10-byte WebSocket frame header.
inline constexpr std::size_t kFrameHeadroom = 16;

class Frame {
 public:
  Frame() = default;

  /// Takes `payload` and gives it headroom.
  static Frame from_payload(std::string_view payload) {
    auto buffer = std::make_shared<std::string>();
    buffer->reserve(kFrameHeadroom + payload.size());
    buffer->append(kFrameHeadroom, '\0');
    buffer->append(payload);
    return Frame(std::move(buffer));
  }

  /// Adopts a buffer that already starts with kFrameHeadroom bytes.
  explicit Frame(std::shared_ptr<std::string> buffer) : buffer_(std::move(buffer)) {}

  bool empty() const noexcept { return !buffer_; }
  std::string_view payload() const noexcept {
    return buffer_ ? std::string_view(*buffer_).substr(kFrameHeadroom) : std::string_view();
  }
  std::size_t size() const noexcept { return buffer_ ? buffer_->size() - kFrameHeadroom : 0; }
  /// Start of the payload inside a writable buffer with headroom before it
  /// (what lws_write wants). Only the transport's own thread writes there.
  unsigned char* writable_payload() const noexcept {
    return reinterpret_cast<unsigned char*>(buffer_->data()) + kFrameHeadroom;
  }

 private:
  std::shared_ptr<std::string> buffer_;
};

/// Builds a frame in place: write the payload with append(), then take().
class FrameBuilder {
 public:
  explicit FrameBuilder(std::size_t expected_size = 128) : buffer_(std::make_shared<std::string>()) {
    buffer_->reserve(kFrameHeadroom + expected_size);
    buffer_->append(kFrameHeadroom, '\0');
  }
  std::string& out() noexcept { return *buffer_; }
  Frame take() { return Frame(std::move(buffer_)); }

 private:
  std::shared_ptr<std::string> buffer_;
};

}  // namespace pws::protocol
