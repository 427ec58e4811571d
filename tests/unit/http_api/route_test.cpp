// http_api/route: path matching, percent-decoded segments and path prefixes.
#include "http_api/route.hpp"

#include <catch2/catch.hpp>

using namespace pws::http_api;

TEST_CASE("every HTTP API path maps to its route with decoded segments", "[http_api][route]") {
  CHECK(match_route("/")->kind == RouteKind::Root);
  CHECK(match_route("/up")->kind == RouteKind::Up);
  CHECK(match_route("/ready")->kind == RouteKind::Ready);

  auto events = match_route("/apps/1001/events");
  REQUIRE(events);
  CHECK(events->kind == RouteKind::Events);
  CHECK(events->app_id == "1001");
  CHECK(match_route("/apps/1001/batch_events")->kind == RouteKind::BatchEvents);
  CHECK(match_route("/apps/1001/channels")->kind == RouteKind::Channels);

  auto channel = match_route("/apps/1001/channels/%23server-to-user-1");
  REQUIRE(channel);
  CHECK(channel->kind == RouteKind::Channel);
  CHECK(channel->channel == "#server-to-user-1");

  auto users = match_route("/apps/1001/channels/presence-room-1/users");
  REQUIRE(users);
  CHECK(users->kind == RouteKind::ChannelUsers);
  CHECK(users->channel == "presence-room-1");

  auto terminate = match_route("/apps/1001/users/a%20b/terminate_connections");
  REQUIRE(terminate);
  CHECK(terminate->kind == RouteKind::TerminateUserConnections);
  CHECK(terminate->user_id == "a b");
}

TEST_CASE("one trailing slash is tolerated, other shapes are unknown", "[http_api][route]") {
  CHECK(match_route("/apps/1001/events/")->kind == RouteKind::Events);
  for (const char* path : {"", "apps/1/events", "/apps", "/apps/1", "/apps/1/nope",
                           "/apps//events", "/apps/1/channels/a/b", "/apps/1/users/42",
                           "/apps/1/channels/x/stats", "/upp", "/apps/1/events//"}) {
    INFO(path);
    CHECK_FALSE(match_route(path));
  }
}

TEST_CASE("an encoded slash stays inside its segment", "[http_api][route]") {
  auto route = match_route("/apps/1/channels/a%2Fb");
  REQUIRE(route);
  CHECK(route->channel == "a/b");
}

TEST_CASE("routes answer one method; health routes also HEAD", "[http_api][route]") {
  CHECK(route_method(RouteKind::Events) == "POST");
  CHECK(route_method(RouteKind::TerminateUserConnections) == "POST");
  CHECK(route_method(RouteKind::Channel) == "GET");
  CHECK(method_allowed(RouteKind::Up, "HEAD"));
  CHECK_FALSE(method_allowed(RouteKind::Channels, "HEAD"));
  CHECK_FALSE(method_allowed(RouteKind::Events, "GET"));
}

TEST_CASE("path prefixes are normalised and stripped on a segment boundary", "[http_api][route]") {
  CHECK(normalize_path_prefix("") == "");
  CHECK(normalize_path_prefix("/") == "");
  CHECK(normalize_path_prefix("/pws/") == "/pws");
  CHECK(normalize_path_prefix("pws") == "/pws");

  CHECK(*strip_path_prefix("/apps/1/events", "") == "/apps/1/events");
  CHECK(*strip_path_prefix("/pws/apps/1/events", "/pws") == "/apps/1/events");
  CHECK(*strip_path_prefix("/pws", "/pws") == "/");
  CHECK_FALSE(strip_path_prefix("/pwsx/apps/1/events", "/pws"));
  CHECK_FALSE(strip_path_prefix("/apps/1/events", "/pws"));
}
