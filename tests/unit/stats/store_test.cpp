// Store: schema creation and migration, queries, cleaning in batches, and
// every way opening can fail (newer schema, garbage, read-only, locked).
#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <mutex>
#include <thread>

#include "common/fixtures.hpp"
#include "stats/store.hpp"

namespace fs = std::filesystem;
using pws::stats::OpenMode;
using pws::stats::Snapshot;
using pws::stats::SnapshotQuery;
using pws::stats::Store;
using pws::testing::TempDir;

namespace {

Snapshot row(std::string app, std::int64_t time_ms, std::int64_t peak = 1, std::int64_t ws = 2, std::int64_t api = 3,
             std::string node = "") {
  return Snapshot{std::move(app), time_ms, peak, ws, api, std::move(node)};
}

std::unique_ptr<Store> open_rw(const fs::path& path) {
  auto store = Store::open(path, OpenMode::ReadWrite);
  INFO((store ? std::string() : store.error().message));
  REQUIRE(store.ok());
  return std::move(*store);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

/// A database as pws with schema version 1 left it.
void make_v1_database(const fs::path& path) {
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec(
      "CREATE TABLE schema_version(version INTEGER NOT NULL);"
      "INSERT INTO schema_version VALUES (1);"
      "CREATE TABLE snapshots(id INTEGER PRIMARY KEY, app_id TEXT NOT NULL, time_ms INTEGER NOT NULL,"
      " peak_connections INTEGER NOT NULL, websocket_messages INTEGER NOT NULL, api_messages INTEGER NOT NULL);"
      "CREATE INDEX snapshots_time ON snapshots(time_ms);"
      "CREATE INDEX snapshots_app_time ON snapshots(app_id, time_ms);"
      "INSERT INTO snapshots(app_id, time_ms, peak_connections, websocket_messages, api_messages)"
      " VALUES ('1', 1000, 5, 6, 7), ('2', 2000, 8, 9, 10);");
}

/// Runs `check` as user nobody in a child process when we are root (root
/// ignores file permissions); returns its exit status (0 = passed).
template <class F>
int run_unprivileged(F check) {
  if (::geteuid() != 0) return check();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(100);
    ::_exit(check());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

}  // namespace

TEST_CASE("store: creates the database, its directory private, and reopens it", "[stats][store]") {
  TempDir dir;
  const fs::path path = dir / "data/pws/stats.sqlite";
  {
    auto store = open_rw(path);
    CHECK(store->schema_version() == 2);
    CHECK(store->path() == path);
    REQUIRE(store->append({row("1", 1000), row("2", 2000, 4, 5, 6, "node-a")}).ok());
  }
  struct stat st{};
  REQUIRE(::stat((dir / "data").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat(path.parent_path().c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  {
    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM schema_version").getInt() == 1);
  }

  auto again = open_rw(path);
  CHECK(again->schema_version() == 2);
  auto rows = again->query({});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0] == row("1", 1000));
  CHECK((*rows)[1] == row("2", 2000, 4, 5, 6, "node-a"));

  auto read_only = Store::open(path, OpenMode::ReadOnly);
  REQUIRE(read_only.ok());
  CHECK((*read_only)->query({})->size() == 2);
}

TEST_CASE("store: queries by app and time range; limit keeps the newest, oldest first", "[stats][store]") {
  TempDir dir;
  auto store = open_rw(dir / "s.sqlite");
  std::vector<Snapshot> rows;
  for (int i = 0; i < 10; ++i) {
    rows.push_back(row("a", 1000 * i, i));
    rows.push_back(row("b", 1000 * i + 500, 100 + i));
  }
  REQUIRE(store->append(rows).ok());

  auto all = store->query({});
  REQUIRE(all.ok());
  CHECK(all->size() == 20);
  CHECK(std::is_sorted(all->begin(), all->end(),
                       [](const Snapshot& x, const Snapshot& y) { return x.time_ms < y.time_ms; }));

  SnapshotQuery by_app;
  by_app.app_id = "a";
  auto a = store->query(by_app);
  REQUIRE(a.ok());
  REQUIRE(a->size() == 10);
  for (const auto& s : *a) CHECK(s.app_id == "a");

  SnapshotQuery range;
  range.since_ms = 3000;  // inclusive
  range.until_ms = 6000;  // exclusive
  auto r = store->query(range);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 6);
  CHECK(r->front().time_ms == 3000);
  CHECK(r->back().time_ms == 5500);

  SnapshotQuery newest;
  newest.app_id = "b";
  newest.limit = 3;
  auto n = store->query(newest);
  REQUIRE(n.ok());
  REQUIRE(n->size() == 3);
  CHECK((*n)[0].time_ms == 7500);
  CHECK((*n)[1].time_ms == 8500);
  CHECK((*n)[2].time_ms == 9500);

  SnapshotQuery none;
  none.app_id = "zzz";
  CHECK(store->query(none)->empty());
  CHECK(store->append({}).ok());
}

TEST_CASE("store: migrates a version 1 database and keeps its rows", "[stats][store]") {
  TempDir dir;
  const fs::path path = dir / "v1.sqlite";
  make_v1_database(path);

  SECTION("read-only opening reads it without migrating") {
    auto store = Store::open(path, OpenMode::ReadOnly);
    REQUIRE(store.ok());
    CHECK((*store)->schema_version() == 1);
    auto rows = (*store)->query({});
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0] == row("1", 1000, 5, 6, 7));
    CHECK((*store)->count_older_than(1500, std::nullopt).value() == 1);
    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("SELECT version FROM schema_version").getInt() == 1);
  }
  SECTION("read-write opening migrates to version 2") {
    auto store = open_rw(path);
    CHECK(store->schema_version() == 2);
    auto rows = store->query({});
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0] == row("1", 1000, 5, 6, 7, ""));
    CHECK((*rows)[1] == row("2", 2000, 8, 9, 10, ""));
    REQUIRE(store->append({row("3", 3000, 1, 1, 1, "n1")}).ok());
    store.reset();

    SQLite::Database raw(path, SQLite::OPEN_READONLY);
    CHECK(raw.execAndGet("SELECT COUNT(*) FROM schema_version").getInt() == 1);
    CHECK(raw.execAndGet("SELECT version FROM schema_version").getInt() == 2);
    CHECK(raw.execAndGet("SELECT node FROM snapshots WHERE app_id = '3'").getString() == "n1");
  }
}

TEST_CASE("store: refuses a database with a newer schema", "[stats][store]") {
  TempDir dir;
  const fs::path path = dir / "future.sqlite";
  { open_rw(path); }
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE);
    raw.exec("UPDATE schema_version SET version = 7");
  }
  for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
    auto store = Store::open(path, mode);
    REQUIRE_FALSE(store.ok());
    CHECK(store.error().message == "statistics database " + path.string() +
                                       " has schema version 7, newer than this pws understands (2); upgrade pws "
                                       "or use another database");
  }
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("SELECT version FROM schema_version").getInt() == 7);
}

TEST_CASE("store: refuses a SQLite file that is not ours", "[stats][store]") {
  TempDir dir;
  const fs::path path = dir / "other.sqlite";
  {
    SQLite::Database raw(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE users(id INTEGER)");
  }
  auto store = Store::open(path, OpenMode::ReadWrite);
  REQUIRE_FALSE(store.ok());
  CHECK(contains(store.error().message, "is not a pws statistics database"));
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK_FALSE(raw.tableExists("snapshots"));
}

TEST_CASE("store: a corrupt file is an error naming the path, not a crash", "[stats][store]") {
  TempDir dir;
  const fs::path path = dir / "garbage.sqlite";
  SECTION("random bytes") {
    std::string bytes;
    for (int i = 0; i < 8192; ++i) bytes.push_back(static_cast<char>((i * 7919 + 13) & 0xff));
    write_file(path, bytes);
    for (OpenMode mode : {OpenMode::ReadWrite, OpenMode::ReadOnly}) {
      auto store = Store::open(path, mode);
      REQUIRE_FALSE(store.ok());
      CHECK(contains(store.error().message, path.string()));
      CHECK(contains(store.error().message, "not a database"));
    }
  }
  SECTION("a SQLite header followed by garbage") {
    std::string bytes("SQLite format 3", 16);
    bytes += std::string("\x10\x00\x01\x01\x00\x40\x20\x20", 8);
    bytes.append(4096 * 3, '\xAB');
    write_file(path, bytes);
    auto store = Store::open(path, OpenMode::ReadWrite);
    if (store.ok()) {
      // Opening may succeed on some damage; using it must then fail cleanly.
      auto rows = (*store)->query({});
      if (!rows.ok()) CHECK(contains(rows.error().message, path.string()));
    } else {
      CHECK(contains(store.error().message, path.string()));
    }
  }
  SECTION("damaged pages in a real database") {
    {
      auto store = open_rw(path);
      std::vector<Snapshot> rows;
      for (int i = 0; i < 2000; ++i) rows.push_back(row("app", i));
      REQUIRE(store->append(rows).ok());
    }
    std::string bytes;
    {
      std::ifstream in(path, std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(bytes.size() > 8192);
    for (std::size_t i = 4096; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31);
    write_file(path, bytes);
    auto store = Store::open(path, OpenMode::ReadOnly);
    if (store.ok()) {
      auto rows = (*store)->query({});
      REQUIRE_FALSE(rows.ok());
      CHECK(contains(rows.error().message, path.string()));
      CHECK(contains(rows.error().message, "malformed"));
    } else {
      CHECK(contains(store.error().message, path.string()));
    }
  }
}

TEST_CASE("store: read-only opening never creates and never writes", "[stats][store]") {
  TempDir dir;
  const fs::path missing = dir / "nope/stats.sqlite";
  auto store = Store::open(missing, OpenMode::ReadOnly);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().message == "statistics database " + missing.string() + " does not exist");
  CHECK_FALSE(fs::exists(missing.parent_path()));

  const fs::path path = dir / "s.sqlite";
  { REQUIRE(open_rw(path)->append({row("1", 1)}).ok()); }
  auto ro = Store::open(path, OpenMode::ReadOnly);
  REQUIRE(ro.ok());
  CHECK((*ro)->mode() == OpenMode::ReadOnly);
  auto appended = (*ro)->append({row("1", 2)});
  REQUIRE_FALSE(appended.ok());
  CHECK(contains(appended.error().message, "read-only"));
  auto deleted = (*ro)->delete_older_than(1000, std::nullopt);
  REQUIRE_FALSE(deleted.ok());
  CHECK((*ro)->count_older_than(1000, std::nullopt).value() == 1);

  // An empty file (created but never migrated) reads as no rows.
  write_file(dir / "empty.sqlite", "");
  auto empty = Store::open(dir / "empty.sqlite", OpenMode::ReadOnly);
  REQUIRE(empty.ok());
  CHECK((*empty)->schema_version() == 0);
  CHECK((*empty)->query({})->empty());
  CHECK((*empty)->count_older_than(INT64_MAX, std::nullopt).value() == 0);
}

TEST_CASE("store: unwritable files and directories are errors", "[stats][store]") {
  TempDir dir;
  SECTION("the parent is a file") {
    write_file(dir / "file", "x");
    const fs::path path = dir / "file/sub/stats.sqlite";
    auto store = Store::open(path, OpenMode::ReadWrite);
    REQUIRE_FALSE(store.ok());
    CHECK(contains(store.error().message, "cannot create directory"));
    CHECK(contains(store.error().message, path.string()));
  }
  SECTION("file and directory permissions") {
    fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    const fs::path ro_dir = dir / "ro";
    fs::create_directory(ro_dir);
    const fs::path ro_file = dir / "ro/stats.sqlite";
    {
      auto store = open_rw(ro_file);
      REQUIRE(store->append({row("1", 1)}).ok());
    }
    // Closed cleanly: the -wal and -shm files are gone.
    fs::permissions(ro_file, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(ro_dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    const int status = run_unprivileged([&]() -> int {
      auto rw = Store::open(ro_file, OpenMode::ReadWrite);
      if (rw.ok()) return 1;
      if (!contains(rw.error().message, "read-only") || !contains(rw.error().message, ro_file.string())) return 2;
      auto created = Store::open(dir / "ro/new.sqlite", OpenMode::ReadWrite);
      if (created.ok()) return 3;
      if (!contains(created.error().message, "Permission denied")) return 4;
      // Reading needs no write access, even in WAL mode.
      auto ro = Store::open(ro_file, OpenMode::ReadOnly);
      if (!ro.ok()) {
        std::fprintf(stderr, "%s\n", ro.error().message.c_str());
        return 5;
      }
      auto rows = (*ro)->query({});
      if (!rows.ok()) {
        std::fprintf(stderr, "%s\n", rows.error().message.c_str());
        return 6;
      }
      return rows->size() == 1 ? 0 : 7;
    });
    CHECK(status == 0);
  }
}

TEST_CASE("store: counts and deletes exactly, in batches", "[stats][store]") {
  TempDir dir;
  auto store = open_rw(dir / "s.sqlite");
  std::vector<Snapshot> rows;
  for (int i = 0; i < 2500; ++i) rows.push_back(row("a", i));
  for (int i = 0; i < 700; ++i) rows.push_back(row("b", i));
  for (int i = 0; i < 10; ++i) rows.push_back(row("a", 100000 + i));
  REQUIRE(store->append(rows).ok());

  CHECK(store->count_older_than(2500, std::nullopt).value() == 3200);
  CHECK(store->count_older_than(2500, std::string("a")).value() == 2500);
  CHECK(store->count_older_than(500, std::string("b")).value() == 500);
  CHECK(store->count_older_than(0, std::nullopt).value() == 0);

  SECTION("one app, several batches") {
    CHECK(store->delete_older_than(2500, std::string("a"), 1000).value() == 2500);
    CHECK(store->count_older_than(INT64_MAX, std::string("a")).value() == 10);
    CHECK(store->count_older_than(INT64_MAX, std::string("b")).value() == 700);
    CHECK(store->delete_older_than(2500, std::string("a"), 1000).value() == 0);
  }
  SECTION("every app, batch size dividing the count exactly") {
    CHECK(store->delete_older_than(2000, std::nullopt, 100).value() == 2700);
    CHECK(store->count_older_than(INT64_MAX, std::nullopt).value() == 510);
  }
  SECTION("default batch") {
    CHECK(store->delete_older_than(INT64_MAX, std::nullopt).value() == 3210);
    CHECK(store->query({})->empty());
  }
}

TEST_CASE("store: a lock held elsewhere is a clear error after the busy timeout", "[stats][store]") {
  TempDir dir;
  const fs::path path = dir / "s.sqlite";
  { open_rw(path); }
  SQLite::Database other(path, SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");

  auto store = Store::open(path, OpenMode::ReadWrite, 200);
  REQUIRE(store.ok());  // already migrated: opening needs no write lock
  const auto start = std::chrono::steady_clock::now();
  auto appended = (*store)->append({row("1", 1)});
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(appended.ok());
  CHECK(contains(appended.error().message, "database is locked"));
  CHECK(contains(appended.error().message, path.string()));
  CHECK(waited >= std::chrono::milliseconds(150));
  CHECK(waited < std::chrono::milliseconds(2000));
  // Reading is not blocked by a writer in WAL mode.
  CHECK((*store)->query({}).ok());

  SECTION("cancellation ends the wait at once") {
    auto cancellable = Store::open(path, OpenMode::ReadWrite, 60000, [] { return true; });
    REQUIRE(cancellable.ok());
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE((*cancellable)->append({row("1", 1)}).ok());
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1000));
  }
  SECTION("works once the lock is released") {
    other.exec("COMMIT");
    CHECK((*store)->append({row("1", 1)}).ok());
    CHECK((*store)->delete_older_than(10, std::nullopt).value() == 1);
  }
}

TEST_CASE("store: several connections creating the same database at once", "[stats][store]") {
  TempDir dir;
  const fs::path path = dir / "new/stats.sqlite";
  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto store = Store::open(path, OpenMode::ReadWrite);
      std::string failure;
      if (!store) failure = "open: " + store.error().message;
      else if ((*store)->schema_version() != 2) failure = "schema " + std::to_string((*store)->schema_version());
      else if (auto appended = (*store)->append({row(std::to_string(i), i)}); !appended)
        failure = "append: " + appended.error().message;
      if (failure.empty()) {
        ++opened;
      } else {
        std::lock_guard lock(failures_mutex);
        failures.push_back(std::move(failure));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::string why;
  for (const auto& failure : failures) why += failure + "\n";
  CHECK(why == "");
  CHECK(opened == 4);
  auto store = open_rw(path);
  CHECK(store->query({})->size() == 4);
  SQLite::Database raw(path, SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("SELECT COUNT(*) FROM schema_version").getInt() == 1);
}
