#include <catch2/catch.hpp>

#include <ctime>

#include "client/feed_event.hpp"
#include "common/fixtures.hpp"

using namespace pws;
using namespace pws::client;
using Catch::Matchers::Contains;

namespace {

boost::json::object event(std::string_view json) {
  auto parsed = parse_feed_event(json);
  if (!parsed) FAIL("not a JSON object: " << json);
  return *parsed;
}

/// Local time is UTC for the scope of a test.
struct UtcClock {
  testing::ScopedEnv tz{"TZ", "UTC"};
  UtcClock() { ::tzset(); }
  ~UtcClock() { ::tzset(); }
};

}  // namespace

TEST_CASE("parse_feed_types: known types, blanks and repeats", "[client][feed]") {
  auto types = parse_feed_types(" connected, subscribed,,connected ");
  REQUIRE(types.ok());
  CHECK(*types == std::vector<std::string>{"connected", "subscribed"});
  auto all = parse_feed_types(
      "connected,disconnected,subscribed,unsubscribed,occupied,vacated,member_added,member_removed,client_event,"
      "api_message,error");
  REQUIRE(all.ok());
  CHECK(all->size() == 11);
  CHECK(parse_feed_types("")->empty());
}

TEST_CASE("parse_feed_types: an unknown type is an error naming it and the known ones", "[client][feed]") {
  auto types = parse_feed_types("connected,subscribe");
  REQUIRE_FALSE(types.ok());
  CHECK(types.error().code == Errc::BadRequest);
  CHECK_THAT(types.error().message, Contains("\"subscribe\"") && Contains("member_added"));
  CHECK_FALSE(parse_feed_types("feed_started").ok());
  CHECK_FALSE(parse_feed_types("Connected").ok());
}

TEST_CASE("FeedFilter: types, channel and event globs", "[client][feed]") {
  const auto subscribed = event(R"({"type":"subscribed","socket_id":"1.2","channel":"orders"})");
  const auto message = event(R"({"type":"api_message","channel":"private-orders","event":"order.created","data":"{}"})");
  const auto connected = event(R"({"type":"connected","socket_id":"1.2"})");

  FeedFilter all;
  CHECK(all.matches(subscribed));
  CHECK(all.matches(connected));

  FeedFilter types;
  types.types = {"connected", "api_message"};
  CHECK_FALSE(types.matches(subscribed));
  CHECK(types.matches(message));
  CHECK(types.matches(connected));

  FeedFilter channel;
  channel.channel = "*orders";
  CHECK(channel.matches(subscribed));
  CHECK(channel.matches(message));
  CHECK_FALSE(channel.matches(connected));  // no channel: no match
  channel.channel = "orders";
  CHECK(channel.matches(subscribed));
  CHECK_FALSE(channel.matches(message));
  channel.channel = "private-[a-z]rders";
  CHECK(channel.matches(message));

  FeedFilter name;
  name.event = "order.*";
  CHECK(name.matches(message));
  CHECK_FALSE(name.matches(subscribed));  // no event: no match
  name.event = "order.deleted";
  CHECK_FALSE(name.matches(message));

  FeedFilter both;
  both.channel = "private-*";
  both.event = "*created";
  both.types = {"api_message"};
  CHECK(both.matches(message));
  both.types = {"client_event"};
  CHECK_FALSE(both.matches(message));
}

TEST_CASE("parse_feed_event: only JSON objects", "[client][feed]") {
  CHECK(parse_feed_event(R"({"type":"connected"})").has_value());
  CHECK_FALSE(parse_feed_event("[1]").has_value());
  CHECK_FALSE(parse_feed_event("not json").has_value());
  CHECK(feed_event_type(event(R"({"type":1})")).empty());
  CHECK(feed_event_type(event(R"({"type":"vacated"})")) == "vacated");
}

TEST_CASE("format_feed_line: time, padded type, then the fields that apply", "[client][feed]") {
  UtcClock utc;
  CHECK(format_feed_line(event(R"({"time_ms":1795677706123,"type":"subscribed","app_id":"1001",)"
                               R"("socket_id":"123.456","channel":"orders"})"),
                         false) == "07:21:46.123  subscribed     123.456  orders");
  CHECK(format_feed_line(event(R"({"time_ms":1795677706005,"type":"member_removed","channel":"presence-a",)"
                               R"("user_id":"u1"})"),
                         false) == "07:21:46.005  member_removed presence-a  u1");
  CHECK(format_feed_line(event(R"({"time_ms":1795677706000,"type":"client_event","socket_id":"1.2",)"
                               R"("channel":"private-c","event":"client-typing","data":"{\"a\":1}","user_id":"u"})"),
                         false) == "07:21:46.000  client_event   1.2  private-c  client-typing  u  {\"a\":1}");
  CHECK(format_feed_line(event(R"({"time_ms":1795677706000,"type":"error","socket_id":"1.2","code":4009,)"
                               R"("message":"Unauthorized"})"),
                         false) == "07:21:46.000  error          1.2  4009  Unauthorized");
  CHECK(format_feed_line(event(R"({"time_ms":1795677706000,"type":"occupied","channel":"c"})"), false) ==
        "07:21:46.000  occupied       c");
}

TEST_CASE("format_feed_line: one line whatever the data; truncation marked", "[client][feed]") {
  UtcClock utc;
  const auto line = format_feed_line(
      event(R"({"time_ms":0,"type":"api_message","channel":"c","event":"e","data":"a\nb\u001b[31mc","truncated":true})"),
      false);
  CHECK(line == "00:00:00.000  api_message    c  e  a\\nb\\x1b[31mc…");
  CHECK(line.find('\n') == std::string::npos);
  CHECK(format_feed_line(event(R"({"type":"vacated","channel":"c"})"), false) == "--:--:--.---  vacated        c");
}

TEST_CASE("format_feed_line: colour wraps the type only", "[client][feed]") {
  UtcClock utc;
  const auto plain = format_feed_line(event(R"({"time_ms":0,"type":"connected","socket_id":"1.2"})"), false);
  const auto colored = format_feed_line(event(R"({"time_ms":0,"type":"connected","socket_id":"1.2"})"), true);
  CHECK(plain.find('\x1b') == std::string::npos);
  CHECK_THAT(colored, Contains("\x1b[32mconnected\x1b[0m"));
  CHECK_THAT(colored, Contains("1.2"));
  CHECK_THAT(format_feed_line(event(R"({"time_ms":0,"type":"error","code":1})"), true), Contains("\x1b[1;31merror"));
}
