// The hub in a cluster (issue 7): two hubs joined by a link that hands every
// change straight to the other one, as the Redis bus does with a delay.
// Presence transitions are cluster-wide, queries sum over nodes, and a node
// that is forgotten takes its members with it.
#include <string>

#include <catch2/catch.hpp>

#include "channels/hub_fixture.hpp"

using namespace pws;
using namespace pws::channels;
using namespace pws::channels::test;

namespace {

/// Hands the changes of one hub (node `from`) to another hub.
class DirectLink final : public ClusterLink {
 public:
  DirectLink(std::string from, Hub& to) : from_(std::move(from)), to_(to) {}
  void publish(const App& app, const PublishRequest& request) override {
    to_.deliver_remote_event(*to_.apps().find_by_id(app.id), request);
  }
  void client_event(const App& app, std::string_view channel, std::string_view event, std::string_view data,
                    std::string_view user_id) override {
    to_.deliver_remote_client_event(*to_.apps().find_by_id(app.id), channel, event, data, user_id);
  }
  void member_joined(const App& app, std::string_view channel, const PresenceSession& session) override {
    to_.remote_member_joined(from_, *to_.apps().find_by_id(app.id), channel, session);
  }
  void member_left(const App& app, std::string_view channel, std::string_view socket_id) override {
    to_.remote_member_left(from_, *to_.apps().find_by_id(app.id), channel, socket_id);
  }
  void subscriptions_changed(const App& app, std::string_view channel, std::size_t count) override {
    to_.remote_subscriptions(from_, *to_.apps().find_by_id(app.id), channel, count);
  }
  void terminate_user(const App& app, std::string_view user_id) override {
    to_.terminate_local_user_connections(*to_.apps().find_by_id(app.id), user_id);
  }
  void user_signed_in(const App& app, std::string_view user_id, std::string_view socket_id) override {
    to_.remote_user_signed_in(from_, *to_.apps().find_by_id(app.id), user_id, socket_id);
  }
  void user_signed_out(const App& app, std::string_view user_id, std::string_view socket_id) override {
    to_.remote_user_signed_out(from_, *to_.apps().find_by_id(app.id), user_id, socket_id);
  }

 private:
  std::string from_;
  Hub& to_;
};

struct TwoNodes {
  HubFixture a;
  HubFixture b;
  DirectLink a_to_b{"a", b.hub};
  DirectLink b_to_a{"b", a.hub};
  RecordingObserver a_observer;
  RecordingObserver b_observer;

  explicit TwoNodes(const std::vector<App>& apps = default_apps()) : a(apps), b(apps) {
    a.hub.set_cluster_link(&a_to_b);
    b.hub.set_cluster_link(&b_to_a);
    a.hub.add_observer(&a_observer);
    b.hub.add_observer(&b_observer);
  }
};

const std::string kRoom = "presence-room";

std::vector<std::string> member_events(const HubFixture& f, ConnectionId id, std::string_view event) {
  std::vector<std::string> users;
  for (const auto& m : f.outbox.messages_to(id, event))
    users.emplace_back(json::parse(m.at("data").as_string()).at("user_id").as_string());
  return users;
}

}  // namespace

TEST_CASE("an API event published on one node reaches the subscribers of the other", "[channels][cluster]") {
  TwoNodes n;
  const ConnectionId on_a = n.a.connect();
  const ConnectionId on_b = n.b.connect();
  n.a.subscribe(on_a, "orders");
  n.b.subscribe(on_b, "orders");
  n.a.outbox.clear();
  n.b.outbox.clear();

  n.a.hub.publish(n.a.app(), PublishRequest{"created", "{\"id\":1}", {"orders"}, {}});
  CHECK(n.a.outbox.count(on_a, "created") == 1);
  CHECK(n.b.outbox.count(on_b, "created") == 1);
  // The feed and the webhooks of the receiving node only: one api_message in the cluster.
  CHECK(std::count(n.a_observer.events.begin(), n.a_observer.events.end(), "api_message orders created {\"id\":1}") == 1);
  CHECK(std::none_of(n.b_observer.events.begin(), n.b_observer.events.end(),
                     [](const std::string& e) { return e.starts_with("api_message"); }));
}

TEST_CASE("socket_id exclusion works for a connection on another node (5.3)", "[channels][cluster]") {
  TwoNodes n;
  const ConnectionId on_b = n.b.connect();
  const ConnectionId other_b = n.b.connect();
  n.b.subscribe(on_b, "orders");
  n.b.subscribe(other_b, "orders");
  n.b.outbox.clear();
  n.a.hub.publish(n.a.app(), PublishRequest{"created", "{}", {"orders"}, n.b.sid(on_b)});
  CHECK(n.b.outbox.count(on_b, "created") == 0);
  CHECK(n.b.outbox.count(other_b, "created") == 1);
}

TEST_CASE("a client event crosses to the other node once and never back to its sender", "[channels][cluster]") {
  TwoNodes n;
  const ConnectionId sender = n.a.connect();
  const ConnectionId on_b = n.b.connect();
  n.a.subscribe_private(sender, "private-chat");
  n.b.subscribe_private(on_b, "private-chat");
  n.a.outbox.clear();
  n.b.outbox.clear();
  n.a.client_event(sender, "private-chat", "client-typing", json::object{{"who", "ada"}});
  CHECK(n.b.outbox.count(on_b, "client-typing") == 1);
  CHECK(n.a.outbox.count(sender, "client-typing") == 0);
  // One client_event webhook in the cluster: from the sender's node.
  CHECK(std::none_of(n.b_observer.events.begin(), n.b_observer.events.end(),
                     [](const std::string& e) { return e.starts_with("client_event"); }));
}

TEST_CASE("presence: member_added once per user cluster-wide, member_removed when the last connection anywhere leaves",
          "[channels][cluster][presence]") {
  TwoNodes n;
  const ConnectionId watcher_a = n.a.connect();
  const ConnectionId watcher_b = n.b.connect();
  n.a.join_as(watcher_a, kRoom, "w1");
  n.b.join_as(watcher_b, kRoom, "w2");
  CHECK(member_events(n.a, watcher_a, "pusher_internal:member_added") == std::vector<std::string>{"w2"});
  CHECK(member_events(n.b, watcher_b, "pusher_internal:member_added").empty());  // w1 was in its list

  // Ada on node A, then again on node B: one member_added everywhere.
  const ConnectionId ada_a = n.a.connect();
  const ConnectionId ada_b = n.b.connect();
  n.a.join_as(ada_a, kRoom, "ada", R"({"name":"Ada"})");
  n.b.join_as(ada_b, kRoom, "ada", R"({"name":"Ada"})");
  CHECK(member_events(n.a, watcher_a, "pusher_internal:member_added") == std::vector<std::string>{"w2", "ada"});
  CHECK(member_events(n.b, watcher_b, "pusher_internal:member_added") == std::vector<std::string>{"ada"});
  CHECK(n.a.hub.presence_user_ids(n.a.app(), kRoom) == std::vector<std::string>{"w1", "ada", "w2"});
  CHECK(n.b.hub.channel_info(n.b.app(), kRoom).user_count == 3);
  CHECK(n.b.hub.channel_info(n.b.app(), kRoom).subscription_count == 4);

  // The list a new subscriber gets holds every node's members.
  const ConnectionId late = n.b.connect();
  n.b.join_as(late, kRoom, "late");
  const auto acks = n.b.outbox.messages_to(late, "pusher_internal:subscription_succeeded");
  REQUIRE(acks.size() == 1);
  const auto presence = json::parse(acks[0].at("data").as_string()).at("presence");
  CHECK(presence.at("count") == 4);
  CHECK(presence.at("hash").at("ada").at("name") == "Ada");

  // Ada leaves node A: still present on B, so nobody hears member_removed.
  n.a.hub.close(ada_a);
  CHECK(member_events(n.a, watcher_a, "pusher_internal:member_removed").empty());
  CHECK(member_events(n.b, watcher_b, "pusher_internal:member_removed").empty());
  // Her last connection goes: both nodes tell their subscribers, once.
  n.b.hub.close(ada_b);
  CHECK(member_events(n.a, watcher_a, "pusher_internal:member_removed") == std::vector<std::string>{"ada"});
  CHECK(member_events(n.b, watcher_b, "pusher_internal:member_removed") == std::vector<std::string>{"ada"});
  // Each node's observers hear the cluster's transition once (webhooks then
  // go out from one node: ClusterNode::announces_transitions).
  const auto removed = [](const RecordingObserver& o) {
    return std::count(o.events.begin(), o.events.end(), "member_removed " + kRoom + " ada");
  };
  const auto added = [](const RecordingObserver& o) {
    return std::count(o.events.begin(), o.events.end(), "member_added " + kRoom + " ada");
  };
  CHECK(removed(n.a_observer) == 1);
  CHECK(removed(n.b_observer) == 1);
  CHECK(added(n.a_observer) == 1);
  CHECK(added(n.b_observer) == 1);
}

TEST_CASE("channel queries sum over nodes and list channels occupied elsewhere", "[channels][cluster]") {
  TwoNodes n;
  const ConnectionId a1 = n.a.connect();
  const ConnectionId a2 = n.a.connect();
  const ConnectionId b1 = n.b.connect();
  n.a.subscribe(a1, "orders");
  n.a.subscribe(a2, "orders");
  n.b.subscribe(b1, "orders");
  n.a.subscribe(a1, "only-on-a");
  CHECK(n.b.hub.channel_info(n.b.app(), "orders").subscription_count == 3);
  CHECK(n.b.hub.channel_info(n.b.app(), "only-on-a").occupied);
  CHECK(n.b.hub.occupied_channels(n.b.app(), "") == std::vector<std::string>{"only-on-a", "orders"});
  // occupied / vacated are cluster transitions, heard once on each node:
  // A's subscriber occupied "orders", B's joined an occupied channel.
  CHECK(std::count(n.a_observer.events.begin(), n.a_observer.events.end(), "occupied orders") == 1);
  CHECK(std::count(n.b_observer.events.begin(), n.b_observer.events.end(), "occupied orders") == 1);
  n.a.hub.close(a1);
  n.a.hub.close(a2);
  CHECK(n.b.hub.channel_info(n.b.app(), "orders").subscription_count == 1);
  CHECK_FALSE(n.b.hub.channel_info(n.b.app(), "only-on-a").occupied);
  CHECK(std::count(n.a_observer.events.begin(), n.a_observer.events.end(), "vacated orders") == 0);
  CHECK(std::count(n.a_observer.events.begin(), n.a_observer.events.end(), "vacated only-on-a") == 1);
  CHECK(std::count(n.b_observer.events.begin(), n.b_observer.events.end(), "vacated only-on-a") == 1);
  CHECK(std::count(n.b_observer.events.begin(), n.b_observer.events.end(), "vacated orders") == 0);
}

TEST_CASE("a forgotten node takes its members and subscriptions with it, once", "[channels][cluster]") {
  TwoNodes n;
  const ConnectionId watcher = n.a.connect();
  n.a.join_as(watcher, kRoom, "w");
  const ConnectionId ada = n.b.connect();
  const ConnectionId bob = n.b.connect();
  n.b.join_as(ada, kRoom, "ada");
  n.b.join_as(bob, kRoom, "bob");
  CHECK(n.a.hub.channel_info(n.a.app(), kRoom).user_count == 3);

  n.a.hub.replace_node("b", NodeShare{});  // node B died
  CHECK(member_events(n.a, watcher, "pusher_internal:member_removed") == std::vector<std::string>{"ada", "bob"});
  CHECK(n.a.hub.channel_info(n.a.app(), kRoom).user_count == 1);
  CHECK(n.a.hub.channel_info(n.a.app(), kRoom).subscription_count == 1);
  n.a.hub.replace_node("b", NodeShare{});  // said again: nothing more
  CHECK(member_events(n.a, watcher, "pusher_internal:member_removed").size() == 2);
  CHECK(std::count(n.a_observer.events.begin(), n.a_observer.events.end(), "member_removed " + kRoom + " bob") == 1);
}

TEST_CASE("a node's state replacing what was known sends only the difference", "[channels][cluster]") {
  TwoNodes n;
  const ConnectionId watcher = n.a.connect();
  n.a.join_as(watcher, kRoom, "w");
  const ConnectionId ada = n.b.connect();
  n.b.join_as(ada, kRoom, "ada");
  n.a.outbox.clear();

  // What B re-sends after a Redis outage: Ada is still there, Bob came meanwhile.
  NodeShare share = n.b.hub.local_share();
  share.apps.at("1001").channels.at(kRoom).members.push_back({"1.2", "bob", "{}"});
  share.apps.at("1001").channels.at(kRoom).subscriptions += 1;
  n.a.hub.replace_node("b", share);
  CHECK(member_events(n.a, watcher, "pusher_internal:member_added") == std::vector<std::string>{"bob"});
  CHECK(member_events(n.a, watcher, "pusher_internal:member_removed").empty());
  CHECK(n.a.hub.channel_info(n.a.app(), kRoom).subscription_count == 3);
}

TEST_CASE("the connection quota counts the other nodes' connections", "[channels][cluster]") {
  TwoNodes n;
  auto apps = HubFixture::apps_with([](App& app) { app.limits.max_connections = 2; });
  HubFixture limited(apps);
  limited.hub.remote_connections("b", limited.app(), 1);
  limited.connect();
  OpenRequest r;
  r.app_key = kKey;
  r.protocol = "7";
  auto [id, ok] = limited.open(r);
  CHECK_FALSE(ok);
  CHECK(limited.error_code(id) == 4004);
  limited.hub.remote_connections("b", limited.app(), 0);
  CHECK(limited.open(r).second);
}

TEST_CASE("terminate_connections closes the user's connections on every node", "[channels][cluster]") {
  TwoNodes n;
  const ConnectionId on_b = n.b.connect();
  n.b.signin(on_b, R"({"id":"ada"})");
  n.a.hub.terminate_user_connections(n.a.app(), "ada");
  CHECK(n.b.outbox.close_codes(on_b) == std::vector<int>{4009});
}

TEST_CASE("a cache channel's event published on one node is replayed by the other", "[channels][cluster]") {
  TwoNodes n;
  n.a.hub.publish(n.a.app(), PublishRequest{"price", "{\"v\":3}", {"cache-prices"}, {}});
  const ConnectionId late = n.b.connect();
  n.b.subscribe(late, "cache-prices");
  CHECK(n.b.outbox.count(late, "price") == 1);
}

TEST_CASE("a node that joins later learns the cache channels' events from the others' state", "[channels][cluster]") {
  HubFixture old_node;
  old_node.hub.publish(old_node.app(), PublishRequest{"price", "{\"v\":3}", {"cache-prices"}, {}});
  HubFixture new_node;
  new_node.hub.replace_node("old", old_node.hub.local_share());
  const auto cached = new_node.hub.cached_event(new_node.app(), "cache-prices");
  REQUIRE(cached.has_value());
  CHECK(cached->data == "{\"v\":3}");
  CHECK(cached->ttl_seconds == 1800);
  const ConnectionId late = new_node.connect();
  new_node.subscribe(late, "cache-prices");
  CHECK(new_node.outbox.count(late, "price") == 1);
}

TEST_CASE("watchlists see users signed in on any node come and go (2.15)", "[channels][cluster][watchlist]") {
  TwoNodes n(HubFixture::apps_with([](App& app) { app.enable_watchlist_events = true; }));
  const ConnectionId ada_b = n.b.connect();
  n.b.signin(ada_b, R"({"id":"ada"})");

  const ConnectionId watcher = n.a.connect();
  n.a.signin(watcher, R"({"id":"w","watchlist":["ada","bob"]})");
  auto events = [&] {
    std::vector<std::string> out;
    for (const auto& m : n.a.outbox.messages_to(watcher, "pusher_internal:watchlist_events")) {
      const json::value data = json::parse(m.at("data").as_string());
      for (const auto& e : data.at("events").as_array())
        for (const auto& id : e.at("user_ids").as_array())
          out.push_back(std::string(e.at("name").as_string()) + " " + std::string(id.as_string()));
    }
    return out;
  };
  CHECK(events() == std::vector<std::string>{"online ada", "offline bob"});

  const ConnectionId bob_b = n.b.connect();
  n.b.signin(bob_b, R"({"id":"bob"})");
  const ConnectionId bob_a = n.a.connect();
  n.a.signin(bob_a, R"({"id":"bob"})");  // already online elsewhere: no second event
  CHECK(events() == std::vector<std::string>{"online ada", "offline bob", "online bob"});
  n.b.hub.close(bob_b);
  CHECK(events().size() == 3);
  n.a.hub.close(bob_a);
  n.a.hub.replace_node("b", NodeShare{});  // node B, and Ada with it, is gone
  CHECK(events() == std::vector<std::string>{"online ada", "offline bob", "online bob", "offline bob", "offline ada"});
}
