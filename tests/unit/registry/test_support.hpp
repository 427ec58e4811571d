// Fixtures for the registry tests: common/fixtures.hpp's scratch directory
// and environment variables, the working directory changed for one test
// only, and whole-file reads and writes.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "common/fixtures.hpp"

namespace pws::registry::test {

using pws::testing::ScopedEnv;
using pws::testing::TempDir;

/// Changes the working directory; restores it at scope exit.
class ScopedCwd {
 public:
  explicit ScopedCwd(const std::filesystem::path& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedCwd() {
    std::error_code ec;
    std::filesystem::current_path(old_, ec);
  }
  ScopedCwd(const ScopedCwd&) = delete;
  ScopedCwd& operator=(const ScopedCwd&) = delete;

 private:
  std::filesystem::path old_;
};

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace pws::registry::test
