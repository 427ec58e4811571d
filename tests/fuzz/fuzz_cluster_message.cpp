// libFuzzer target: messages of the cluster's Redis channel (issue 7),
// through the decoder and ClusterNode into a hub whose two local connections
// sit in a presence, a cache and a public channel and are signed in, so
// membership, counts, node state replacement, watchlists and deliveries are
// all reachable. The input is a sequence of messages separated by '\n'. No
// Redis: the node's bus is never started, what it would publish just queues.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "channels/clock.hpp"
#include "channels/hub.hpp"
#include "cluster/cluster_node.hpp"
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
  app.limits.max_connections = 5;
  return app;
}

std::string sign(const std::string& to_sign) { return "key:" + crypto::hmac_sha256_hex("secret", to_sign); }

void join(Hub& hub, ConnectionId id) {
  const std::string socket(hub.socket_id_of(id));
  const std::string user = "u" + std::to_string(id);
  const std::string member_raw = R"({"user_id":")" + user + R"("})";
  const std::string member = R"({\"user_id\":\")" + user + R"(\"})";
  hub.receive(id, R"({"event":"pusher:subscribe","data":{"channel":"presence-room","auth":")" +
                      sign(socket + ":presence-room:" + member_raw) + R"(","channel_data":")" + member + "\"}}");
  hub.receive(id, R"({"event":"pusher:subscribe","data":{"channel":"cache-prices"}})");
  hub.receive(id, R"({"event":"pusher:subscribe","data":{"channel":"orders"}})");
  const std::string user_data = R"({"id":")" + user + R"(","watchlist":["x","y"]})";
  const std::string user_data_escaped = R"({\"id\":\")" + user + R"(\",\"watchlist\":[\"x\",\"y\"]})";
  hub.receive(id, R"({"event":"pusher:signin","data":{"auth":")" + sign(socket + "::user::" + user_data) +
                      R"(","user_data":")" + user_data_escaped + "\"}}");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  RecordingOutbox outbox;
  ManualClock clock;
  Hub hub(outbox, clock, HubSettings{}, std::make_shared<const AppDirectory>(std::vector<App>{fuzz_app()}));
  for (ConnectionId id = 1; id <= 2; ++id)
    if (hub.open(id, OpenRequest{"key", "7", "", false})) join(hub, id);

  cluster::ClusterSettings settings;
  settings.redis.host = "127.0.0.1";
  settings.channel = "fuzz:cluster";
  settings.node_id = "self";
  cluster::ClusterNode node(hub, clock, settings, [] {});
  hub.set_cluster_link(&node);

  std::string_view input(reinterpret_cast<const char*>(data), size);
  while (!input.empty()) {
    const auto end = input.find('\n');
    node.receive(input.substr(0, end));
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    clock.advance_ms(700);
    node.tick();  // heartbeats, and forgetting nodes silent for 5 s
  }
  // Everything that was learnt must still be consistent enough to answer
  // every query and to be handed to another node.
  (void)hub.channel_info(*hub.apps().find_by_id("1"), "presence-room");
  (void)hub.presence_user_ids(*hub.apps().find_by_id("1"), "presence-room");
  (void)hub.occupied_channels(*hub.apps().find_by_id("1"), "");
  (void)hub.local_share();
  hub.close(1);
  hub.close(2);
  hub.set_cluster_link(nullptr);
  return 0;
}
