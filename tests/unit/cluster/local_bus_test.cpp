// The event loops of one process (issue 8): each loop's hub joins the others
// through a ClusterNode over a LocalBus. Driven here without threads: every
// "loop" polls its node by hand, as its thread does after each turn.
#include "cluster/local_bus.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"
#include "cluster/cluster_node.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

/// One event loop: a hub and its node on the shared exchange.
struct Loop {
  HubFixture fixture;
  int wakes = 0;
  std::unique_ptr<cluster::ClusterNode> node;

  Loop(const std::shared_ptr<cluster::LocalExchange>& exchange, std::string id, HubSettings hub_settings = {})
      : fixture(default_apps(), hub_settings) {
    cluster::ClusterSettings settings;
    settings.node_id = std::move(id);
    settings.log_peers = false;
    node = std::make_unique<cluster::ClusterNode>(fixture.hub, fixture.clock, settings,
                                                  std::make_unique<cluster::LocalBus>(exchange, [this] { ++wakes; }));
    node->start();
  }
};

/// Polls every loop until nothing is left in flight.
void settle(std::vector<Loop*> loops) {
  for (int round = 0; round < 4; ++round)
    for (Loop* loop : loops) loop->node->poll();
}

}  // namespace

TEST_CASE("a message published on the exchange reaches every other member once, and wakes it once") {
  auto exchange = std::make_shared<cluster::LocalExchange>();
  int wakes_a = 0, wakes_b = 0, wakes_c = 0;
  cluster::LocalBus a(exchange, [&] { ++wakes_a; });
  cluster::LocalBus b(exchange, [&] { ++wakes_b; });
  cluster::LocalBus c(exchange, [&] { ++wakes_c; });
  a.start();
  b.start();
  c.start();
  std::vector<cluster::BusInput> in;
  b.take(in);  // the "subscribed" input of start()
  REQUIRE(in.size() == 1);
  CHECK(in[0].kind == cluster::BusInput::Kind::Subscribed);
  c.take(in);
  a.take(in);

  a.publish("one");
  a.publish("two");
  b.take(in);
  REQUIRE(in.size() == 2);
  CHECK(in[0].payload == "one");
  CHECK(in[1].payload == "two");
  c.take(in);
  CHECK(in.size() == 2);
  a.take(in);
  CHECK(in.empty());  // never its own
  CHECK(wakes_b == 2);  // once for "subscribed", once for the first of the two
  CHECK(a.figures().published == 2);
  CHECK(b.figures().received == 2);

  c.stop(std::chrono::milliseconds(0));
  a.publish("three");
  c.take(in);
  CHECK(in.empty());  // a stopped member hears nothing more
  b.take(in);
  CHECK(in.size() == 1);
}

TEST_CASE("presence members are listed in the order they joined, over every loop (2.4)") {
  auto exchange = std::make_shared<cluster::LocalExchange>();
  std::atomic<std::uint64_t> joins{0};
  HubSettings settings;
  settings.join_sequence = &joins;
  Loop a(exchange, "loop/0", settings);
  Loop b(exchange, "loop/1", settings);
  settle({&a, &b});
  a.fixture.join_as(a.fixture.connect(), "presence-room", "first");
  settle({&a, &b});
  b.fixture.join_as(b.fixture.connect(), "presence-room", "second");
  settle({&a, &b});
  a.fixture.join_as(a.fixture.connect(), "presence-room", "third");
  settle({&a, &b});
  const std::vector<std::string> in_order{"first", "second", "third"};
  CHECK(a.fixture.hub.presence_user_ids(a.fixture.app(), "presence-room") == in_order);
  CHECK(b.fixture.hub.presence_user_ids(b.fixture.app(), "presence-room") == in_order);
  const ConnectionId late = b.fixture.connect();
  b.fixture.join_as(late, "presence-room", "fourth");
  const auto succeeded = b.fixture.outbox.messages_to(late, "pusher_internal:subscription_succeeded");
  REQUIRE(succeeded.size() == 1);
  const json::value data = json::parse(succeeded[0].at("data").as_string());
  CHECK(json::serialize(data.at("presence").at("ids")) == R"(["first","second","third","fourth"])");
}

TEST_CASE("hubs of several loops behave as one server") {
  auto exchange = std::make_shared<cluster::LocalExchange>();
  Loop a(exchange, "loop/0");
  Loop b(exchange, "loop/1");
  settle({&a, &b});

  SECTION("an API event published on one loop reaches the subscribers of both, once") {
    const ConnectionId on_a = a.fixture.connect();
    a.fixture.subscribe(on_a, "orders");
    const ConnectionId on_b = b.fixture.connect();
    b.fixture.subscribe(on_b, "orders");
    settle({&a, &b});
    a.fixture.outbox.clear();
    b.fixture.outbox.clear();

    b.fixture.hub.publish(b.fixture.app(), PublishRequest{"created", "{\"id\":1}", {"orders"}, {}});
    settle({&a, &b});
    CHECK(a.fixture.outbox.count(on_a, "created") == 1);
    CHECK(b.fixture.outbox.count(on_b, "created") == 1);
  }

  SECTION("each loop answers for the channels and presence members of both") {
    const ConnectionId on_a = a.fixture.connect();
    a.fixture.join_as(on_a, "presence-room", "u1");
    settle({&a, &b});
    const ConnectionId on_b = b.fixture.connect();
    b.fixture.join_as(on_b, "presence-room", "u2");
    // Both members in the newcomer's subscription_succeeded (2.4).
    const auto succeeded = b.fixture.outbox.messages_to(on_b, "pusher_internal:subscription_succeeded");
    REQUIRE(succeeded.size() == 1);
    const json::value data = json::parse(succeeded[0].at("data").as_string());
    CHECK(data.at("presence").at("count").as_int64() == 2);
    settle({&a, &b});
    CHECK(a.fixture.outbox.count(on_a, "pusher_internal:member_added") == 1);
    CHECK(a.fixture.hub.occupied_channels(a.fixture.app(), "") == std::vector<std::string>{"presence-room"});
    CHECK(a.fixture.hub.channel_info(a.fixture.app(), "presence-room").user_count == 2);
    CHECK(b.fixture.hub.channel_info(b.fixture.app(), "presence-room").subscription_count == 2);
  }

  SECTION("a client event on one loop reaches the other loop's subscribers, not its sender") {
    const ConnectionId sender = a.fixture.connect();
    a.fixture.subscribe_private(sender, "private-chat");
    const ConnectionId reader = b.fixture.connect();
    b.fixture.subscribe_private(reader, "private-chat");
    settle({&a, &b});
    a.fixture.outbox.clear();
    a.fixture.receive(sender, R"({"event":"client-typing","channel":"private-chat","data":{}})");
    settle({&a, &b});
    CHECK(b.fixture.outbox.count(reader, "client-typing") == 1);
    CHECK(a.fixture.outbox.count(sender, "client-typing") == 0);
  }
}
