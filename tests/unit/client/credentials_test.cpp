#include <catch2/catch.hpp>

#include "client/api_client.hpp"
#include "client/test_server.hpp"

using namespace pws;
using namespace pws::client;
using Catch::Matchers::Contains;
using test::ScopedEnv;

namespace {

channels::App make_app(std::string id, std::string key, std::string secret, std::string name = {}) {
  channels::App app;
  app.id = std::move(id);
  app.key = std::move(key);
  app.secret = std::move(secret);
  app.name = std::move(name);
  return app;
}

registry::Config registry_with(std::vector<channels::App> apps) {
  registry::Config config;
  config.apps = std::move(apps);
  config.source = "/tmp/pws-test/pws.toml";
  return config;
}

}  // namespace

TEST_CASE("resolve_credentials: --app picks a registry app by id, then by name", "[client][credentials]") {
  test::CleanClientEnv clean;
  const auto config = registry_with({make_app("1001", "k1", "s1", "chat"), make_app("1002", "k2", "s2", "1001"),
                                     make_app("1003", "k3", "s3", "jobs")});

  auto c = resolve_credentials(std::string("1003"), config);
  REQUIRE(c.ok());
  CHECK(c->app_id == "1003");
  CHECK(c->key == "k3");
  CHECK(c->secret == "s3");
  CHECK(c->source == "/tmp/pws-test/pws.toml");
  CHECK_FALSE(c->from_environment);

  c = resolve_credentials(std::string("chat"), config);
  REQUIRE(c.ok());
  CHECK(c->app_id == "1001");

  // An id wins over a name that looks like it.
  c = resolve_credentials(std::string("1001"), config);
  REQUIRE(c.ok());
  CHECK(c->app_id == "1001");
}

TEST_CASE("resolve_credentials: --app beats the environment", "[client][credentials]") {
  ScopedEnv id("PUSHER_APP_ID", "9");
  ScopedEnv key("PUSHER_APP_KEY", "env-key");
  ScopedEnv secret("PUSHER_APP_SECRET", "env-secret");
  const auto config = registry_with({make_app("1001", "k1", "s1", "chat")});
  auto c = resolve_credentials(std::string("chat"), config);
  REQUIRE(c.ok());
  CHECK(c->app_id == "1001");
}

TEST_CASE("resolve_credentials: an unknown --app names the known ids", "[client][credentials]") {
  test::CleanClientEnv clean;
  const auto config = registry_with({make_app("1001", "k1", "s1", "chat"), make_app("1002", "k2", "s2")});
  auto c = resolve_credentials(std::string("nope"), config);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::BadRequest);
  CHECK_THAT(c.error().message, Contains("\"nope\""));
  CHECK_THAT(c.error().message, Contains("1001 (chat)"));
  CHECK_THAT(c.error().message, Contains("1002"));
  CHECK_THAT(c.error().message, Contains("/tmp/pws-test/pws.toml"));
  CHECK(describe_apps(config) == "1001 (chat), 1002");

  c = resolve_credentials(std::string(""), config);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::BadRequest);
}

TEST_CASE("resolve_credentials: a name shared by several apps is ambiguous", "[client][credentials]") {
  test::CleanClientEnv clean;
  const auto config = registry_with({make_app("1", "k1", "s1", "same"), make_app("2", "k2", "s2", "same")});
  auto c = resolve_credentials(std::string("same"), config);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::BadRequest);
  CHECK_THAT(c.error().message, Contains("1, 2"));
}

TEST_CASE("resolve_credentials: PUSHER_APP_* beat the registry's only app", "[client][credentials]") {
  test::CleanClientEnv clean;
  ScopedEnv id("PUSHER_APP_ID", "77");
  ScopedEnv key("PUSHER_APP_KEY", "env-key");
  ScopedEnv secret("PUSHER_APP_SECRET", "env-secret");
  for (const auto& config : {registry_with({make_app("1001", "k1", "s1")}), registry::Config{},
                             registry_with({make_app("1", "a", "b"), make_app("2", "c", "d")})}) {
    auto c = resolve_credentials(std::nullopt, config);
    REQUIRE(c.ok());
    CHECK(c->app_id == "77");
    CHECK(c->key == "env-key");
    CHECK(c->secret == "env-secret");
    CHECK(c->from_environment);
    CHECK_THAT(c->source, Contains("PUSHER_APP_SECRET"));
  }
}

TEST_CASE("resolve_credentials: some but not all PUSHER_APP_* is a usage error", "[client][credentials]") {
  test::CleanClientEnv clean;
  ScopedEnv id("PUSHER_APP_ID", "77");
  ScopedEnv key("PUSHER_APP_KEY", "env-key");
  auto c = resolve_credentials(std::nullopt, registry_with({make_app("1001", "k1", "s1")}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::BadRequest);
  CHECK_THAT(c.error().message, Contains("PUSHER_APP_SECRET"));
}

TEST_CASE("resolve_credentials: otherwise the registry's only app", "[client][credentials]") {
  test::CleanClientEnv clean;
  auto c = resolve_credentials(std::nullopt, registry_with({make_app("1001", "k1", "s1")}));
  REQUIRE(c.ok());
  CHECK(c->app_id == "1001");
  CHECK(c->key == "k1");
  CHECK(c->secret == "s1");
}

TEST_CASE("resolve_credentials: no app or several apps is a usage error", "[client][credentials]") {
  test::CleanClientEnv clean;
  auto c = resolve_credentials(std::nullopt, registry::Config{});
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::BadRequest);
  CHECK_THAT(c.error().message, Contains("no config file"));

  c = resolve_credentials(std::nullopt, registry_with({}));
  REQUIRE_FALSE(c.ok());
  CHECK_THAT(c.error().message, Contains("has no apps"));

  c = resolve_credentials(std::nullopt, registry_with({make_app("1001", "k1", "s1"), make_app("1002", "k2", "s2")}));
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().code == Errc::BadRequest);
  CHECK_THAT(c.error().message, Contains("--app"));
  CHECK_THAT(c.error().message, Contains("1001, 1002"));
}
