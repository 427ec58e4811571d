// libFuzzer target: WebSocket messages from a client, through the protocol
// parser and every hub handler. The input is a sequence of messages
// separated by '\n', delivered in turn to one of two connections (the first
// byte of each message picks which). Both connections have joined a private
// and a presence channel with valid signatures first, so client events,
// unsubscribes and presence changes are reachable, not only the parser.
// Closed connections are replaced, as the transport would.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "crypto/crypto.hpp"

#include "fuzz_support.hpp"

namespace {

using namespace pws;
using namespace pws::channels;

using fuzz::RecordingOutbox;

App fuzz_app() {
  App app;
  app.id = "1";
  app.key = "key";
  app.secret = "secret";
  app.enable_client_messages = true;
  app.enable_subscription_count = true;
  app.enable_watchlist_events = true;
  app.limits.max_client_events_per_sec = -1;
  return app;
}

std::string sign(const std::string& to_sign) { return "key:" + crypto::hmac_sha256_hex("secret", to_sign); }

void join(Hub& hub, ConnectionId id) {
  const std::string socket(hub.socket_id_of(id));
  hub.receive(id, R"({"event":"pusher:subscribe","data":{"channel":"private-a","auth":")" +
                      sign(socket + ":private-a") + "\"}}");
  const std::string member = R"({\"user_id\":\"u)" + std::to_string(id) + R"(\"})";
  const std::string member_raw = R"({"user_id":"u)" + std::to_string(id) + R"("})";
  hub.receive(id, R"({"event":"pusher:subscribe","data":{"channel":"presence-b","auth":")" +
                      sign(socket + ":presence-b:" + member_raw) + R"(","channel_data":")" + member + "\"}}");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  RecordingOutbox outbox;
  ManualClock clock;
  Hub hub(outbox, clock, HubSettings{}, std::make_shared<const AppDirectory>(std::vector<App>{fuzz_app()}));
  ConnectionId next = 1;
  ConnectionId connections[2] = {0, 0};
  auto open = [&](int slot) {
    const ConnectionId id = next++;
    if (!hub.open(id, OpenRequest{"key", "7", "", false})) return;
    connections[slot] = id;
    join(hub, id);
  };
  open(0);
  open(1);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const auto end = input.find('\n');
    std::string_view message = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (message.empty()) continue;
    const int slot = static_cast<unsigned char>(message.front()) & 1;
    message.remove_prefix(1);
    if (connections[slot] == 0) open(slot);
    if (connections[slot] != 0) hub.receive(connections[slot], message);
    clock.advance_ms(100);
    for (ConnectionId id : outbox.closed) {
      hub.close(id);
      for (auto& c : connections)
        if (c == id) c = 0;
    }
    outbox.closed.clear();
  }
  hub.sweep();
  return 0;
}
