#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "registry/config.hpp"
#include "registry/test_support.hpp"

using namespace pws;
using namespace pws::registry;

namespace fs = std::filesystem;
using pws::testing::entries;
using pws::testing::mode_of;

TEST_CASE("write_private_file creates a 0600 file and 0700 parent directories", "[registry]") {
  test::TempDir dir;
  const fs::path path = dir / "a/b/pws.toml";
  REQUIRE(write_private_file(path, "secret = 1\n").ok());
  CHECK(test::read_text(path) == "secret = 1\n");
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(dir / "a") == 0700);
  CHECK(mode_of(dir / "a/b") == 0700);
  CHECK(entries(dir / "a/b") == std::vector<std::string>{"pws.toml"});
}

TEST_CASE("write_private_file gives 0600 even under a permissive umask", "[registry]") {
  test::TempDir dir;
  const mode_t old = ::umask(0);
  const auto written = write_private_file(dir / "pws.toml", "x");
  ::umask(old);
  REQUIRE(written.ok());
  CHECK(mode_of(dir / "pws.toml") == 0600);
}

TEST_CASE("write_private_file replaces an existing file by rename, leaving no temporary", "[registry]") {
  test::TempDir dir;
  const fs::path path = dir / "pws.toml";
  test::write_text(path, "old contents that are longer than the new ones\n");
  fs::permissions(path, fs::perms(0644));

  // A link to the old file keeps seeing the old contents: the new file is a
  // different inode that was renamed into place, not the old one rewritten.
  fs::create_hard_link(path, dir / "old-link");
  REQUIRE(write_private_file(path, "new\n").ok());
  CHECK(test::read_text(path) == "new\n");
  CHECK(test::read_text(dir / "old-link") == "old contents that are longer than the new ones\n");
  CHECK(mode_of(path) == 0600);
  CHECK(entries(dir.path()) == std::vector<std::string>{"old-link", "pws.toml"});
}

TEST_CASE("write_private_file reports an I/O error and leaves nothing behind", "[registry]") {
  test::TempDir dir;
  test::write_text(dir / "file", "");
  SECTION("the parent is a regular file") {
    auto written = write_private_file(dir / "file/pws.toml", "x");
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().code == Errc::Io);
    CHECK_THAT(written.error().message, Catch::Matchers::Contains("Not a directory"));
  }
  SECTION("the target is a directory") {
    fs::create_directory(dir / "taken");
    auto written = write_private_file(dir / "taken", "x");
    REQUIRE_FALSE(written.ok());
    CHECK(written.error().code == Errc::Io);
    CHECK(entries(dir.path()) == std::vector<std::string>{"file", "taken"});
  }
}
