// [redis] (issue 7): the url in every form Redis clients accept, the other
// keys' bounds, and errors that never repeat the password.
#include <catch2/catch.hpp>

#include "registry/config.hpp"

using namespace pws;
using namespace pws::registry;
using Catch::Matchers::Contains;

namespace {

RedisConfig parsed(std::string_view url) {
  RedisConfig redis;
  auto status = parse_redis_url(url, redis);
  if (!status) FAIL("unexpected error: " << status.error().message);
  return redis;
}

std::string url_error(std::string_view url) {
  RedisConfig redis;
  auto status = parse_redis_url(url, redis);
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == Errc::InvalidConfig);
  return status.error().message;
}

}  // namespace

TEST_CASE("redis urls: host, port, password, user and database", "[registry][redis]") {
  auto plain = parsed("redis://127.0.0.1");
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 6379);
  CHECK(plain.password.empty());
  CHECK(plain.database == 0);

  auto full = parsed("redis://:s3cret@redis.internal:6380/2");
  CHECK(full.host == "redis.internal");
  CHECK(full.port == 6380);
  CHECK(full.username.empty());
  CHECK(full.password == "s3cret");
  CHECK(full.database == 2);

  auto acl = parsed("redis://pws:p%40ss@[::1]:7000");
  CHECK(acl.host == "::1");
  CHECK(acl.port == 7000);
  CHECK(acl.username == "pws");
  CHECK(acl.password == "p@ss");

  // A lone userinfo is the password, as redis-cli and most clients read it.
  CHECK(parsed("redis://onlysecret@localhost").password == "onlysecret");
}

TEST_CASE("broken redis urls are refused, saying why, without the password", "[registry][redis]") {
  CHECK_THAT(url_error("http://127.0.0.1"), Contains("redis://"));
  CHECK_THAT(url_error("rediss://127.0.0.1"), Contains("TLS"));
  CHECK_THAT(url_error("redis://127.0.0.1:port"), Contains("port"));
  CHECK_THAT(url_error("redis://127.0.0.1:70000"), Contains("1..65535"));
  CHECK_THAT(url_error("redis://:hunter2@/0"), Contains("no host"));
  CHECK_THAT(url_error("redis://h/db"), Contains("database"));
  CHECK_THAT(url_error("redis://:bad%zzsecret@host"), Contains("escape"));
  CHECK_THAT(url_error("redis://:hunter2@host:x"), !Contains("hunter2"));
}

TEST_CASE("[redis] keys are read and checked", "[registry][redis]") {
  auto config = parse_config(R"toml(
[redis]
url = "redis://127.0.0.1:6390"
prefix = "staging"
node_id = "web-1"
heartbeat_interval_in_seconds = 2
node_timeout_in_seconds = 9
)toml",
                             "pws.toml");
  REQUIRE(config.ok());
  CHECK(config->redis.enabled());
  CHECK(config->redis.port == 6390);
  CHECK(config->redis.prefix == "staging");
  CHECK(config->redis.node_id == "web-1");
  CHECK(config->redis.heartbeat_interval_in_seconds == 2);
  CHECK(config->redis.node_timeout_in_seconds == 9);

  auto alone = parse_config("", "pws.toml");
  REQUIRE(alone.ok());
  CHECK_FALSE(alone->redis.enabled());

  auto bad = parse_config(R"toml(
[redis]
url = "redis://h:0"
prefix = "has space"
node_id = "a b"
heartbeat_interval_in_seconds = 5
node_timeout_in_seconds = 5
colour = "red"
)toml",
                          "pws.toml");
  REQUIRE_FALSE(bad.ok());
  const std::string& message = bad.error().message;
  CHECK_THAT(message, Contains("redis.url"));
  CHECK_THAT(message, Contains("redis.prefix"));
  CHECK_THAT(message, Contains("redis.node_id"));
  CHECK_THAT(message, Contains("longer than heartbeat_interval_in_seconds"));
  CHECK_THAT(message, Contains("colour"));
}
