// Writer: background writing, one log line per state change, retries while
// the database is locked or unopenable, the bounded backlog and stop().
#include <SQLiteCpp/SQLiteCpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/fixtures.hpp"
#include "stats/store.hpp"
#include "stats/writer.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using pws::stats::OpenMode;
using pws::stats::Snapshot;
using pws::stats::Store;
using pws::stats::Writer;
using pws::stats::WriterTimings;
using pws::testing::TempDir;

namespace {

/// Collects the writer's log lines (called from its thread).
class LogLines {
 public:
  Writer::Log sink() {
    return [this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

std::vector<Snapshot> rows(int first, int count, const std::string& app = "1") {
  std::vector<Snapshot> out;
  for (int i = first; i < first + count; ++i) out.push_back(Snapshot{app, i, i, 2 * i, 3 * i, ""});
  return out;
}

std::vector<Snapshot> stored(const fs::path& path) {
  auto store = Store::open(path, OpenMode::ReadOnly);
  REQUIRE(store.ok());
  auto all = (*store)->query({});
  REQUIRE(all.ok());
  return *all;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const WriterTimings kFast{100ms, 20ms, 80ms};

}  // namespace

TEST_CASE("writer: writes submitted rows and stop flushes them", "[stats][writer]") {
  TempDir dir;
  const fs::path path = dir / "sub/stats.sqlite";
  LogLines log;
  Writer writer(path, log.sink());
  CHECK(writer.path() == path);
  CHECK_FALSE(fs::exists(path));  // opened lazily
  writer.submit(rows(0, 3));
  CHECK(eventually([&] { return writer.figures().written == 3; }));
  writer.submit(rows(3, 4));
  writer.submit({});
  CHECK(writer.stop(5000ms));
  CHECK(writer.stop(5000ms));  // a second stop is harmless

  const auto figures = writer.figures();
  CHECK(figures.written == 7);
  CHECK(figures.pending == 0);
  CHECK(figures.dropped == 0);
  CHECK(figures.failures == 0);
  CHECK(figures.healthy);
  CHECK(stored(path) == rows(0, 7));
  CHECK(log.lines().empty());
}

TEST_CASE("writer: stop right after submit writes everything", "[stats][writer]") {
  TempDir dir;
  const fs::path path = dir / "stats.sqlite";
  {
    Writer writer(path, nullptr);
    writer.submit(rows(0, 25000));  // more than one transaction
    CHECK(writer.stop(10000ms));
    CHECK(writer.figures().written == 25000);
  }
  CHECK(stored(path).size() == 25000);
}

TEST_CASE("writer: a locked database is retried, logged once, and caught up", "[stats][writer]") {
  TempDir dir;
  const fs::path path = dir / "stats.sqlite";
  { REQUIRE(Store::open(path, OpenMode::ReadWrite).ok()); }

  auto other = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
  other->exec("BEGIN IMMEDIATE");

  LogLines log;
  Writer writer(path, log.sink(), 1000, kFast);
  writer.submit(rows(0, 5));
  REQUIRE(eventually([&] { return writer.figures().failures >= 3; }));
  writer.submit(rows(5, 2));
  auto figures = writer.figures();
  CHECK_FALSE(figures.healthy);
  CHECK(figures.written == 0);
  CHECK(figures.pending == 7);
  {
    auto lines = log.lines();
    REQUIRE(lines.size() == 1);
    CHECK(contains(lines[0], path.string()));
    CHECK(contains(lines[0], "database is locked"));
    CHECK(contains(lines[0], "retrying"));
  }

  other->exec("COMMIT");
  other.reset();
  REQUIRE(eventually([&] { return writer.figures().written == 7; }));
  REQUIRE(eventually([&] { return log.lines().size() == 2; }));
  figures = writer.figures();
  CHECK(figures.healthy);
  CHECK(figures.pending == 0);
  const auto lines = log.lines();
  CHECK(contains(lines[1], "again"));
  CHECK(contains(lines[1], "caught up 7 rows"));

  CHECK(writer.stop(2000ms));
  CHECK(stored(path) == rows(0, 7));
  CHECK(log.lines().size() == 2);
}

TEST_CASE("writer: an unopenable path is retried with one log line until it works", "[stats][writer]") {
  TempDir dir;
  {
    std::ofstream blocker(dir / "blocker");
    blocker << "a file where a directory should be";
  }
  const fs::path path = dir / "blocker/stats.sqlite";
  LogLines log;
  Writer writer(path, log.sink(), 1000, kFast);
  writer.submit(rows(0, 4));
  REQUIRE(eventually([&] { return writer.figures().failures >= 3; }));
  REQUIRE(log.lines().size() == 1);
  CHECK(contains(log.lines()[0], "cannot create statistics database " + path.string() + ": Not a directory"));
  CHECK(contains(log.lines()[0], "keeping 4 rows"));

  fs::remove(dir / "blocker");
  REQUIRE(eventually([&] { return writer.figures().written == 4; }));
  REQUIRE(eventually([&] { return log.lines().size() == 2; }));
  CHECK(contains(log.lines()[1], "caught up 4 rows"));
  CHECK(writer.stop(2000ms));
  CHECK(stored(path) == rows(0, 4));
}

TEST_CASE("writer: drops the oldest rows beyond the bound, and counts them", "[stats][writer]") {
  TempDir dir;
  {
    std::ofstream blocker(dir / "blocker");
    blocker << "x";
  }
  const fs::path path = dir / "blocker/stats.sqlite";
  Writer writer(path, nullptr, 5, kFast);
  writer.submit(rows(0, 3));
  REQUIRE(eventually([&] { return writer.figures().failures >= 1; }));
  writer.submit(rows(3, 4));
  writer.submit(rows(7, 3));
  auto figures = writer.figures();
  CHECK(figures.pending == 5);
  CHECK(figures.dropped == 5);

  fs::remove(dir / "blocker");
  REQUIRE(eventually([&] { return writer.figures().written == 5; }));
  CHECK(writer.stop(2000ms));
  CHECK(writer.figures().dropped == 5);
  CHECK(stored(path) == rows(5, 5));  // the newest five
}

TEST_CASE("writer: stop returns by its deadline while the database stays locked", "[stats][writer]") {
  TempDir dir;
  const fs::path path = dir / "stats.sqlite";
  { REQUIRE(Store::open(path, OpenMode::ReadWrite).ok()); }
  SQLite::Database other(path, SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");

  LogLines log;
  Writer writer(path, log.sink());  // default timings: a 5 s busy timeout
  writer.submit(rows(0, 3));
  std::this_thread::sleep_for(100ms);  // the writer is now waiting for the lock
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(writer.stop(300ms));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 250ms);
  CHECK(took < 1000ms);
  CHECK(writer.figures().pending == 3);
  const auto lines = log.lines();
  REQUIRE_FALSE(lines.empty());
  CHECK(contains(lines.back(), "3 rows not written"));
  other.exec("ROLLBACK");
}

TEST_CASE("writer: stop waits for a lock released before the deadline", "[stats][writer]") {
  TempDir dir;
  const fs::path path = dir / "stats.sqlite";
  { REQUIRE(Store::open(path, OpenMode::ReadWrite).ok()); }
  auto other = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READWRITE);
  other->exec("BEGIN IMMEDIATE");
  Writer writer(path, nullptr);
  writer.submit(rows(0, 2));
  std::thread release([&] {
    std::this_thread::sleep_for(300ms);
    other->exec("COMMIT");
  });
  CHECK(writer.stop(5000ms));
  release.join();
  CHECK(stored(path) == rows(0, 2));
}

TEST_CASE("writer: submit and figures from several threads", "[stats][writer]") {
  TempDir dir;
  const fs::path path = dir / "stats.sqlite";
  Writer writer(path, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&writer, t] {
      for (int i = 0; i < 50; ++i) {
        writer.submit(rows(t * 1000 + i * 10, 10, std::to_string(t)));
        (void)writer.figures();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(writer.stop(10000ms));
  CHECK(writer.figures().written == 2000);
  CHECK(stored(path).size() == 2000);
}

TEST_CASE("writer: the destructor stops the thread", "[stats][writer]") {
  TempDir dir;
  const fs::path path = dir / "stats.sqlite";
  { Writer writer(path, nullptr); writer.submit(rows(0, 1)); }
  CHECK(stored(path).size() == 1);
}
