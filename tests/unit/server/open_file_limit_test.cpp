// The open-file limit check of pws serve (issue 8): what the config allows
// at most, and the warning when that cannot fit in the descriptors we have.
#include <catch2/catch.hpp>

#include "server/open_file_limit.hpp"

using namespace pws;
using namespace pws::server;
using Catch::Matchers::Contains;

namespace {

registry::Config with_apps(std::initializer_list<std::int64_t> app_limits) {
  registry::Config config;
  int n = 0;
  for (std::int64_t limit : app_limits) {
    channels::App app;
    app.id = std::to_string(++n);
    app.limits.max_connections = limit;
    config.apps.push_back(app);
  }
  return config;
}

}  // namespace

TEST_CASE("the configured capacity is the server-wide cap, else the apps' caps added up", "[server]") {
  auto config = with_apps({100, 200});
  CHECK(configured_capacity(config) == 300);
  config.server.max_connections = 50;
  CHECK(configured_capacity(config) == 50);
  CHECK_FALSE(configured_capacity(with_apps({100, -1})).has_value());  // one app unbounded
  CHECK_FALSE(configured_capacity(registry::Config{}).has_value());
}

TEST_CASE("a capacity beyond the open-file limit is a warning naming both and the way out", "[server]") {
  OpenFileLimit limit;
  limit.soft = 1024;
  limit.hard = 4096;
  CHECK(capacity_warning(900, limit).empty());
  const std::string warning = capacity_warning(19'000, limit);
  CHECK_THAT(warning, Contains("19000"));
  CHECK_THAT(warning, Contains("1024"));
  CHECK_THAT(warning, Contains("LimitNOFILE"));
  CHECK(capacity_warning(std::nullopt, limit).empty());
  limit.unlimited = true;
  CHECK(capacity_warning(19'000, limit).empty());
}

TEST_CASE("raising the limit leaves the soft limit at the hard one", "[server]") {
  const OpenFileLimit limit = raise_open_file_limit();
  CHECK(limit.error.empty());
  if (!limit.unlimited) CHECK(limit.soft == limit.hard);
}
