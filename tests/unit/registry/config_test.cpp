#include <catch2/catch.hpp>

#include "registry/config.hpp"

using namespace pws;
using namespace pws::registry;
using Catch::Matchers::Contains;

namespace {

channels::App make_app(std::string id, std::string key) {
  channels::App app;
  app.id = std::move(id);
  app.key = std::move(key);
  app.secret = "secret";
  app.name = "test";
  return app;
}

}  // namespace

TEST_CASE("add_app appends an app with a new id and key", "[registry]") {
  Config config;
  REQUIRE(add_app(config, make_app("1", "a")).ok());
  REQUIRE(add_app(config, make_app("2", "b")).ok());
  REQUIRE(config.apps.size() == 2);
  CHECK(config.apps[1].id == "2");
}

TEST_CASE("add_app refuses a duplicate id or key and says which", "[registry]") {
  Config config;
  REQUIRE(add_app(config, make_app("1", "a")).ok());

  auto same_id = add_app(config, make_app("1", "b"));
  REQUIRE_FALSE(same_id.ok());
  CHECK(same_id.error().code == Errc::InvalidConfig);
  CHECK_THAT(same_id.error().message, Contains("id \"1\""));

  auto same_key = add_app(config, make_app("2", "a"));
  REQUIRE_FALSE(same_key.ok());
  CHECK(same_key.error().code == Errc::InvalidConfig);
  CHECK_THAT(same_key.error().message, Contains("key \"a\""));

  CHECK(config.apps.size() == 1);
}

TEST_CASE("add_app refuses an app without id, key or secret", "[registry]") {
  Config config;
  CHECK_FALSE(add_app(config, make_app("", "a")).ok());
  CHECK_FALSE(add_app(config, make_app("1", "")).ok());
  auto no_secret = make_app("1", "a");
  no_secret.secret.clear();
  CHECK_FALSE(add_app(config, no_secret).ok());
  CHECK(config.apps.empty());
}
