#include <catch2/catch.hpp>

#include "registry/config.hpp"
#include "registry/test_support.hpp"

using namespace pws;
using namespace pws::registry;
using Catch::Matchers::Contains;
using test::ScopedEnv;

namespace fs = std::filesystem;

TEST_CASE("user_config_path follows XDG_CONFIG_HOME, else HOME/.config", "[registry]") {
  SECTION("XDG_CONFIG_HOME set") {
    ScopedEnv xdg("XDG_CONFIG_HOME", "/x/config");
    CHECK(user_config_path() == fs::path("/x/config/pws/pws.toml"));
  }
  SECTION("XDG_CONFIG_HOME empty") {
    ScopedEnv xdg("XDG_CONFIG_HOME", "");
    ScopedEnv home("HOME", "/home/u");
    CHECK(user_config_path() == fs::path("/home/u/.config/pws/pws.toml"));
  }
  SECTION("XDG_CONFIG_HOME unset") {
    ScopedEnv xdg("XDG_CONFIG_HOME", std::nullopt);
    ScopedEnv home("HOME", "/home/u");
    CHECK(user_config_path() == fs::path("/home/u/.config/pws/pws.toml"));
  }
  SECTION("XDG_CONFIG_HOME relative, which the XDG spec says to ignore") {
    ScopedEnv xdg("XDG_CONFIG_HOME", "relative");
    ScopedEnv home("HOME", "/home/u");
    CHECK(user_config_path() == fs::path("/home/u/.config/pws/pws.toml"));
  }
}

TEST_CASE("find_config takes the argument, then PWS_CONFIG, ./pws.toml and the user config", "[registry]") {
  test::TempDir dir;
  const fs::path explicit_file = dir / "explicit.toml";
  const fs::path env_file = dir / "env.toml";
  const fs::path work = dir / "work";
  const fs::path local_file = work / "pws.toml";
  const fs::path user_file = dir / "xdg/pws/pws.toml";
  for (const auto& f : {explicit_file, env_file, local_file, user_file}) test::write_text(f, "");

  test::ScopedCwd cwd(work);
  ScopedEnv xdg("XDG_CONFIG_HOME", (dir / "xdg").string());
  ScopedEnv pws_config("PWS_CONFIG", env_file.string());

  auto found = [](std::optional<fs::path> arg) {
    auto result = find_config(arg);
    if (!result) FAIL("unexpected error: " << result.error().message);
    return *result;
  };

  CHECK(found(explicit_file) == explicit_file);
  CHECK(found(std::nullopt) == env_file);
  {
    ScopedEnv unset("PWS_CONFIG", std::nullopt);
    REQUIRE(found(std::nullopt).has_value());
    CHECK(fs::equivalent(*found(std::nullopt), local_file));
    fs::remove(local_file);
    CHECK(found(std::nullopt) == user_file);
    fs::remove(user_file);
    // Only /etc/pws/pws.toml is left, which a test cannot create or rule out.
    const auto last = found(std::nullopt);
    if (last) CHECK(*last == fs::path("/etc/pws/pws.toml"));
  }
  {
    ScopedEnv empty("PWS_CONFIG", "");
    const auto last = found(std::nullopt);
    if (last) CHECK(*last == fs::path("/etc/pws/pws.toml"));
  }
}

TEST_CASE("find_config fails when the named file does not exist", "[registry]") {
  test::TempDir dir;
  SECTION("named by the argument") {
    ScopedEnv pws_config("PWS_CONFIG", std::nullopt);
    auto result = find_config(dir / "nope.toml");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == Errc::Io);
    CHECK(result.error().message == "config file " + (dir / "nope.toml").string() + " does not exist");
  }
  SECTION("named by PWS_CONFIG") {
    ScopedEnv pws_config("PWS_CONFIG", (dir / "nope.toml").string());
    auto result = find_config(std::nullopt);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == Errc::Io);
    CHECK_THAT(result.error().message, Contains("config file " + (dir / "nope.toml").string() + " does not exist"));
  }
}
