#include <catch2/catch.hpp>

#include "registry/config.hpp"
#include "registry/test_support.hpp"

using namespace pws;
using namespace pws::registry;
using Catch::Matchers::Contains;
using test::ScopedEnv;

TEST_CASE("PUSHER_APP_ID, _KEY and _SECRET together define one app", "[registry]") {
  ScopedEnv id("PUSHER_APP_ID", "42");
  ScopedEnv key("PUSHER_APP_KEY", "env-key");
  ScopedEnv secret("PUSHER_APP_SECRET", "env-secret");
  auto app = app_from_environment();
  REQUIRE(app.ok());
  REQUIRE(app->has_value());
  const channels::App& a = **app;
  CHECK(a.id == "42");
  CHECK(a.key == "env-key");
  CHECK(a.secret == "env-secret");
  CHECK(a.name == "env");
  CHECK(a.enabled);
  CHECK_FALSE(a.enable_client_messages);
}

TEST_CASE("no PUSHER_APP_* variables means no app from the environment", "[registry]") {
  ScopedEnv id("PUSHER_APP_ID", std::nullopt);
  ScopedEnv key("PUSHER_APP_KEY", std::nullopt);
  ScopedEnv secret("PUSHER_APP_SECRET", std::nullopt);
  auto app = app_from_environment();
  REQUIRE(app.ok());
  CHECK_FALSE(app->has_value());
}

TEST_CASE("some but not all PUSHER_APP_* variables is an error naming the missing ones", "[registry]") {
  ScopedEnv id("PUSHER_APP_ID", "42");
  ScopedEnv key("PUSHER_APP_KEY", std::nullopt);
  ScopedEnv secret("PUSHER_APP_SECRET", "");
  auto app = app_from_environment();
  REQUIRE_FALSE(app.ok());
  CHECK(app.error().code == Errc::InvalidConfig);
  CHECK_THAT(app.error().message, Contains("PUSHER_APP_KEY, PUSHER_APP_SECRET not set"));
}
