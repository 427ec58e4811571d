// The cluster's messages (issue 7) survive their JSON form unchanged, and
// anything malformed or from another protocol version is recognised.
#include <catch2/catch.hpp>

#include "cluster/bus_message.hpp"

using namespace pws;
using namespace pws::cluster;

namespace {

BusMessage round_trip(const BusMessage& m) {
  auto decoded = decode(encode(m));
  REQUIRE(decoded.has_value());
  CHECK(decoded->type == m.type);
  CHECK(decoded->node == m.node);
  CHECK(decoded->instance == m.instance);
  return *decoded;
}

BusMessage base(MessageType type) {
  BusMessage m;
  m.type = type;
  m.node = "web-1:6001";
  m.instance = "12345";
  m.app_id = "1001";
  return m;
}

}  // namespace

TEST_CASE("an API event keeps its channels, data byte for byte and the excluded socket", "[cluster]") {
  BusMessage m = base(MessageType::Event);
  m.event = "created";
  m.data = "{\"id\":1,\"text\":\"line\\nbreak \xC3\xA9\"}";
  m.channels = {"orders", "#server-to-user-42"};
  m.except_socket_id = "1.2";
  const BusMessage out = round_trip(m);
  CHECK(out.app_id == "1001");
  CHECK(out.event == "created");
  CHECK(out.data == m.data);
  CHECK(out.channels == m.channels);
  CHECK(out.except_socket_id == "1.2");
}

TEST_CASE("membership, counts, client events and terminations round-trip", "[cluster]") {
  BusMessage joined = base(MessageType::MemberJoined);
  joined.channel = "presence-room";
  joined.session = {"3.4", "ada", "{\"name\":\"Ada\"}"};
  const BusMessage j = round_trip(joined);
  CHECK(j.channel == "presence-room");
  CHECK(j.session.socket_id == "3.4");
  CHECK(j.session.user_id == "ada");
  CHECK(j.session.user_info_json == "{\"name\":\"Ada\"}");

  BusMessage count = base(MessageType::Subscriptions);
  count.channel = "orders";
  count.count = 10000;
  CHECK(round_trip(count).count == 10000);

  BusMessage client = base(MessageType::ClientEvent);
  client.channel = "private-chat";
  client.event = "client-typing";
  client.data = "{}";
  client.user_id = "ada";
  const BusMessage c = round_trip(client);
  CHECK(c.event == "client-typing");
  CHECK(c.user_id == "ada");

  BusMessage signed_in = base(MessageType::SignedIn);
  signed_in.user_id = "ada";
  signed_in.session.socket_id = "5.6";
  const BusMessage si = round_trip(signed_in);
  CHECK(si.user_id == "ada");
  CHECK(si.session.socket_id == "5.6");

  BusMessage terminate = base(MessageType::TerminateUser);
  terminate.user_id = "ada";
  CHECK(round_trip(terminate).user_id == "ada");
}

TEST_CASE("a node's state and heartbeat round-trip", "[cluster]") {
  BusMessage hello = base(MessageType::Hello);
  hello.app_id.clear();
  channels::AppShare app;
  app.connections = 7;
  app.channels["orders"].subscriptions = 5;
  app.channels["presence-room"].subscriptions = 2;
  app.channels["presence-room"].members = {{"1.1", "ada", "{}"}, {"1.2", "bob", "{\"x\":1}"}};
  app.users = {{"1.1", "ada"}};
  app.cache = {{"cache-x", "{\"event\":\"e\"}", "{}", 1500}};
  hello.share.apps["1001"] = app;
  const BusMessage out = round_trip(hello);
  REQUIRE(out.share.apps.contains("1001"));
  const auto& got = out.share.apps.at("1001");
  CHECK(got.connections == 7);
  CHECK(got.channels.at("orders").subscriptions == 5);
  REQUIRE(got.channels.at("presence-room").members.size() == 2);
  CHECK(got.channels.at("presence-room").members[1].user_info_json == "{\"x\":1}");
  CHECK(got.users == app.users);
  REQUIRE(got.cache.size() == 1);
  CHECK(got.cache[0].frame_payload == "{\"event\":\"e\"}");
  CHECK(got.cache[0].ttl_ms == 1500);

  BusMessage hb = base(MessageType::Heartbeat);
  hb.app_id.clear();
  hb.connections = {{"1001", 3}, {"2002", 9}};
  CHECK(round_trip(hb).connections == hb.connections);
}

TEST_CASE("malformed messages are refused; another version is recognised as such", "[cluster]") {
  CHECK_FALSE(decode("not json").has_value());
  CHECK_FALSE(decode("[]").has_value());
  CHECK_FALSE(decode(R"({"v":1,"t":"ev","n":"a","i":"1"})").has_value());            // no app, no channels
  CHECK_FALSE(decode(R"({"v":1,"t":"nonsense","n":"a","i":"1"})").has_value());
  CHECK_FALSE(decode(R"({"v":1,"t":"sc","n":"a","i":"1","a":"1001","c":"x","k":-1})").has_value());
  CHECK_FALSE(decode(R"({"v":1,"t":"mj","n":"a","i":"1","a":"1001","c":"x","m":["1.1"]})").has_value());
  auto future = decode(R"({"v":2,"t":"warp","n":"a","i":"1"})");
  REQUIRE(future.has_value());
  CHECK(future->version == 2);
  CHECK(future->node == "a");
}
