// What the fuzz targets that drive a hub share: an Outbox that records only
// what the targets check (bytes sent, connections closed), so nothing the
// fuzzer makes the hub send is ever written anywhere.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "channels/outbox.hpp"

namespace pws::fuzz {

class RecordingOutbox final : public channels::Outbox {
 public:
  void send(channels::ConnectionId, const protocol::Frame& frame) override { bytes += frame.size(); }
  void ping(channels::ConnectionId) override {}
  void close(channels::ConnectionId to, int, std::string_view) override { closed.push_back(to); }

  std::size_t bytes = 0;
  std::vector<channels::ConnectionId> closed;
};

}  // namespace pws::fuzz
