// Store: the statistics database. Every SQLite::Exception is caught here and
// turned into an Error naming the file and SQLite's reason; nothing throws
// out of this file.
#include "stats/store.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <limits>
#include <thread>

namespace pws::stats {

namespace fs = std::filesystem;

namespace {

/// SQLite's message plus what it means for the user, e.g. "database is
/// locked (another process held the write lock longer than 5000 ms)".
std::string explain(const SQLite::Exception& e, int busy_timeout_ms) {
  std::string what = e.what();
  switch (e.getErrorCode() & 0xff) {
    case SQLITE_CORRUPT:
      return what + " (the file is corrupt)";
    case SQLITE_NOTADB:
      return what + " (corrupt, or not a SQLite database)";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return what + " (another process held the lock longer than the busy timeout of " +
             std::to_string(busy_timeout_ms) + " ms)";
    case SQLITE_READONLY:
      return what + " (read-only: check the permissions of the file and its directory)";
    case SQLITE_FULL:
      return what + " (disk full)";
    case SQLITE_CANTOPEN:
      return what + " (check that the file and its directory exist and are accessible)";
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return what + " (permission denied)";
    case SQLITE_IOERR:
      return what + " (I/O error)";
    default:
      return what;
  }
}

Error sqlite_error(const fs::path& path, std::string_view action, const SQLite::Exception& e,
                   int busy_timeout_ms) {
  return make_error(Errc::Io, "cannot " + std::string(action) + " statistics database " + path.string() + ": " +
                                  explain(e, busy_timeout_ms));
}

Error other_error(const fs::path& path, std::string_view action, const std::exception& e) {
  return make_error(Errc::Io,
                    "cannot " + std::string(action) + " statistics database " + path.string() + ": " + e.what());
}

/// Creates the missing directories above `path`, each 0700.
Status create_parent_directories(const fs::path& path) {
  const fs::path parent = path.parent_path();
  if (parent.empty()) return Ok{};
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path dir = parent; !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir, ec)) break;
    missing.push_back(dir);
    if (dir == dir.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST)
      return make_error(Errc::Io, "cannot create directory " + it->string() + " for statistics database " +
                                      path.string() + ": " + std::strerror(errno));
  }
  return Ok{};
}

/// Creates an empty database file with mode 0600 unless it exists.
Status create_private_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return Ok{};
  }
  if (errno == EEXIST) return Ok{};
  return make_error(Errc::Io, "cannot create statistics database " + path.string() + ": " + std::strerror(errno));
}

/// The stored schema version: 0 for an empty database; an error for a
/// database with other tables but no schema_version (not ours).
Result<int> read_version(SQLite::Database& db, const fs::path& path) {
  // One statement, so one snapshot: another process may create the schema
  // between two separate reads, which would look like a foreign file.
  SQLite::Statement tables(db,
                           "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
                           "'schema_version'), (SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name "
                           "NOT LIKE 'sqlite_%')");
  tables.executeStep();
  const bool ours = tables.getColumn(0).getInt64() > 0;
  const bool any = tables.getColumn(1).getInt64() > 0;
  tables.reset();
  if (!ours) {
    if (any)
      return make_error(Errc::Io, "statistics database " + path.string() +
                                      " is not a pws statistics database (it has tables but no schema_version); "
                                      "use another file");
    return 0;
  }
  SQLite::Statement st(db, "SELECT MAX(version) FROM schema_version");
  if (!st.executeStep() || st.getColumn(0).isNull()) return 0;
  return st.getColumn(0).getInt();
}

Error newer_schema(const fs::path& path, int version) {
  return make_error(Errc::Io, "statistics database " + path.string() + " has schema version " +
                                  std::to_string(version) + ", newer than this pws understands (" +
                                  std::to_string(kSchemaVersion) + "); upgrade pws or use another database");
}

/// Migration `to` (1-based): from version to-1 to version `to`.
void apply_migration(SQLite::Database& db, int to) {
  switch (to) {
    case 1:
      db.exec(
          "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
          "CREATE TABLE snapshots("
          "  id INTEGER PRIMARY KEY,"
          "  app_id TEXT NOT NULL,"
          "  time_ms INTEGER NOT NULL,"
          "  peak_connections INTEGER NOT NULL,"
          "  websocket_messages INTEGER NOT NULL,"
          "  api_messages INTEGER NOT NULL);"
          "CREATE INDEX snapshots_time ON snapshots(time_ms);"
          "CREATE INDEX snapshots_app_time ON snapshots(app_id, time_ms);");
      break;
    case 2:
      db.exec("ALTER TABLE snapshots ADD COLUMN node TEXT NOT NULL DEFAULT ''");
      break;
    default:
      PWS_ASSERT(false && "no such migration");
  }
  db.exec("DELETE FROM schema_version");
  SQLite::Statement set(db, "INSERT INTO schema_version(version) VALUES (?)");
  set.bind(1, to);
  set.exec();
}

/// Brings the schema to kSchemaVersion, one transaction per step; the
/// version is re-read inside each transaction so two processes opening a
/// fresh file at once do not both migrate.
Result<int> migrate(SQLite::Database& db, const fs::path& path) {
  for (;;) {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    auto version = read_version(db, path);
    if (!version) return version.error();
    if (*version > kSchemaVersion) return newer_schema(path, *version);
    if (*version == kSchemaVersion) {
      tx.commit();
      return *version;
    }
    apply_migration(db, *version + 1);
    tx.commit();
  }
}

/// A file name as the path of a file: URI.
std::string uri_escape(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '%' || c == '?' || c == '#' || u < 0x20 || u >= 0x7f) {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

std::string where_clause(bool has_app, const char* time_condition) {
  std::string sql = " WHERE ";
  sql += time_condition;
  if (has_app) sql += " AND app_id = ?";
  return sql;
}

}  // namespace

Store::Store(std::filesystem::path path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}

Store::~Store() = default;

int Store::on_busy(void* self, int attempts) {
  auto* store = static_cast<Store*>(self);
  const auto now = std::chrono::steady_clock::now();
  if (attempts == 0) store->busy_since_ = now;
  if (store->cancelled_ && store->cancelled_()) return 0;
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - store->busy_since_).count();
  if (waited >= store->busy_timeout_ms_) return 0;
  // Short sleeps so a cancellation (stop deadline) is noticed quickly.
  static constexpr int kDelays[] = {1, 2, 5, 10, 15, 20, 25};
  const int delay = kDelays[std::min<std::size_t>(static_cast<std::size_t>(attempts), std::size(kDelays) - 1)];
  const auto sleep = std::min<std::int64_t>(delay, store->busy_timeout_ms_ - waited);
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep));
  return 1;
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, OpenMode mode, int busy_timeout_ms) {
  return open(path, mode, busy_timeout_ms, nullptr);
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, OpenMode mode, int busy_timeout_ms,
                                           std::function<bool()> cancelled) {
  busy_timeout_ms = std::max(busy_timeout_ms, 0);
  std::error_code ec;
  if (mode == OpenMode::ReadOnly) {
    if (!fs::exists(path, ec))
      return make_error(Errc::Io, "statistics database " + path.string() + " does not exist");
  } else {
    if (auto made = create_parent_directories(path); !made) return made.error();
    if (auto made = create_private_file(path); !made) return made.error();
  }

  auto store = open_connection(path, mode, busy_timeout_ms, std::move(cancelled), false);
  if (!store) return store.error();
  if (mode == OpenMode::ReadOnly) {
    auto version = (*store)->read_only_version();
    if (!version) {
      // Reading a WAL database needs its -shm file; SQLite cannot create it
      // in a directory we may not write. With no -wal file nobody is
      // writing and the main file holds everything: read it as immutable.
      const bool wal = fs::exists(fs::path(path.string() + "-wal"), ec);
      const bool shm = fs::exists(fs::path(path.string() + "-shm"), ec);
      if (wal || shm || ::access(path.parent_path().empty() ? "." : path.parent_path().c_str(), W_OK) == 0)
        return version.error();
      auto immutable = open_connection(path, mode, busy_timeout_ms, (*store)->cancelled_, true);
      if (!immutable) return immutable.error();
      auto again = (*immutable)->read_only_version();
      if (!again) return again.error();
      return std::move(*immutable);
    }
  }
  return store;
}

Result<std::unique_ptr<Store>> Store::open_connection(const std::filesystem::path& path, OpenMode mode,
                                                      int busy_timeout_ms, std::function<bool()> cancelled,
                                                      bool immutable) {
  std::unique_ptr<Store> store;
  try {
    const int flags = mode == OpenMode::ReadOnly ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
    auto db = immutable ? std::make_unique<SQLite::Database>("file:" + uri_escape(path.string()) + "?immutable=1",
                                                             flags | SQLite::OPEN_URI, 0)
                        : std::make_unique<SQLite::Database>(path, flags, 0);
    store.reset(new Store(path, std::move(db)));
  } catch (const SQLite::Exception& e) {
    return sqlite_error(path, "open", e, busy_timeout_ms);
  } catch (const std::exception& e) {
    return other_error(path, "open", e);
  }
  store->mode_ = mode;
  store->busy_timeout_ms_ = busy_timeout_ms;
  store->cancelled_ = std::move(cancelled);
  SQLite::Database& db = *store->db_;
  ::sqlite3_busy_handler(db.getHandle(), &Store::on_busy, store.get());

  if (mode != OpenMode::ReadWrite) return store;
  // A file SQLite could open only for reading (permissions): say so now
  // rather than at the first write.
  if (::sqlite3_db_readonly(db.getHandle(), "main") == 1)
    return make_error(Errc::Io, "cannot open statistics database " + path.string() +
                                    " for writing: it is read-only (check the permissions of the file and "
                                    "its directory)");
  // Switching a fresh file to WAL, and WAL recovery, can answer SQLITE_BUSY
  // without calling the busy handler when several processes (cluster nodes
  // sharing one database) open it at once: such attempts are retried here,
  // within the same busy timeout.
  const auto started = std::chrono::steady_clock::now();
  for (int attempt = 0;; ++attempt) {
    try {
      db.execAndGet("PRAGMA journal_mode=WAL");
      db.exec("PRAGMA synchronous=NORMAL");
      auto version = read_version(db, path);
      if (!version) return version.error();
      if (*version > kSchemaVersion) return newer_schema(path, *version);
      if (*version < kSchemaVersion) {
        auto migrated = migrate(db, path);
        if (!migrated) return migrated.error();
        version = migrated;
      }
      store->version_ = *version;
      return store;
    } catch (const SQLite::Exception& e) {
      const int primary = e.getErrorCode() & 0xff;
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started)
                              .count();
      const bool cancelled_now = store->cancelled_ && store->cancelled_();
      if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || waited >= busy_timeout_ms || cancelled_now)
        return sqlite_error(path, "open", e, busy_timeout_ms);
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(1 << std::min(attempt, 6), 50)));
    } catch (const std::exception& e) {
      return other_error(path, "open", e);
    }
  }
}

Status Store::read_only_version() {
  try {
    auto version = read_version(*db_, path_);
    if (!version) return version.error();
    if (*version > kSchemaVersion) return newer_schema(path_, *version);
    version_ = *version;
  } catch (const SQLite::Exception& e) {
    return sqlite_error(path_, "open", e, busy_timeout_ms_);
  } catch (const std::exception& e) {
    return other_error(path_, "open", e);
  }
  return Ok{};
}

int Store::schema_version() const { return version_; }

Status Store::append(const std::vector<Snapshot>& rows) {
  if (mode_ == OpenMode::ReadOnly)
    return make_error(Errc::Io, "cannot write to statistics database " + path_.string() + ": opened read-only");
  if (rows.empty()) return Ok{};
  try {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement insert(*db_,
                             "INSERT INTO snapshots(app_id, time_ms, peak_connections, websocket_messages, "
                             "api_messages, node) VALUES (?, ?, ?, ?, ?, ?)");
    for (const Snapshot& row : rows) {
      insert.bind(1, row.app_id);
      insert.bind(2, row.time_ms);
      insert.bind(3, row.peak_connections);
      insert.bind(4, row.websocket_messages);
      insert.bind(5, row.api_messages);
      insert.bind(6, row.node);
      insert.exec();
      insert.reset();
    }
    tx.commit();
  } catch (const SQLite::Exception& e) {
    return sqlite_error(path_, "write to", e, busy_timeout_ms_);
  } catch (const std::exception& e) {
    return other_error(path_, "write to", e);
  }
  return Ok{};
}

Result<std::vector<Snapshot>> Store::query(const SnapshotQuery& query) const {
  std::vector<Snapshot> rows;
  if (version_ == 0 || query.limit == 0 || query.since_ms >= query.until_ms) return rows;
  const bool has_app = query.app_id.has_value();
  const char* node = version_ >= 2 ? "node" : "''";
  // The newest `limit` rows, then oldest first.
  const std::string sql =
      std::string("SELECT app_id, time_ms, peak_connections, websocket_messages, api_messages, node FROM ("
                  "SELECT id, app_id, time_ms, peak_connections, websocket_messages, api_messages, ") +
      node + " AS node FROM snapshots" + where_clause(has_app, "time_ms >= ? AND time_ms < ?") +
      " ORDER BY time_ms DESC, id DESC LIMIT ?) ORDER BY time_ms ASC, id ASC";
  try {
    SQLite::Statement st(*db_, sql);
    int index = 1;
    st.bind(index++, query.since_ms);
    st.bind(index++, query.until_ms);
    if (has_app) st.bind(index++, *query.app_id);
    const auto limit = static_cast<std::int64_t>(
        std::min<std::size_t>(query.limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
    st.bind(index++, limit);
    while (st.executeStep()) {
      Snapshot row;
      row.app_id = st.getColumn(0).getString();
      row.time_ms = st.getColumn(1).getInt64();
      row.peak_connections = st.getColumn(2).getInt64();
      row.websocket_messages = st.getColumn(3).getInt64();
      row.api_messages = st.getColumn(4).getInt64();
      row.node = st.getColumn(5).getString();
      rows.push_back(std::move(row));
    }
  } catch (const SQLite::Exception& e) {
    return sqlite_error(path_, "read", e, busy_timeout_ms_);
  } catch (const std::exception& e) {
    return other_error(path_, "read", e);
  }
  return rows;
}

Result<std::int64_t> Store::count_older_than(std::int64_t cutoff_ms, const std::optional<std::string>& app_id) const {
  if (version_ == 0) return std::int64_t{0};
  try {
    SQLite::Statement st(*db_, "SELECT COUNT(*) FROM snapshots" + where_clause(app_id.has_value(), "time_ms < ?"));
    st.bind(1, cutoff_ms);
    if (app_id) st.bind(2, *app_id);
    st.executeStep();
    return st.getColumn(0).getInt64();
  } catch (const SQLite::Exception& e) {
    return sqlite_error(path_, "read", e, busy_timeout_ms_);
  } catch (const std::exception& e) {
    return other_error(path_, "read", e);
  }
}

Result<std::int64_t> Store::delete_older_than(std::int64_t cutoff_ms, const std::optional<std::string>& app_id,
                                              int batch_rows) {
  if (mode_ == OpenMode::ReadOnly)
    return make_error(Errc::Io, "cannot delete from statistics database " + path_.string() + ": opened read-only");
  if (version_ == 0) return std::int64_t{0};
  if (batch_rows <= 0) batch_rows = 1000;
  const std::string sql = "DELETE FROM snapshots WHERE id IN (SELECT id FROM snapshots" +
                          where_clause(app_id.has_value(), "time_ms < ?") + " LIMIT ?)";
  std::int64_t total = 0;
  try {
    SQLite::Statement st(*db_, sql);
    for (;;) {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      int index = 1;
      st.bind(index++, cutoff_ms);
      if (app_id) st.bind(index++, *app_id);
      st.bind(index++, batch_rows);
      const int deleted = st.exec();
      st.reset();
      st.clearBindings();
      tx.commit();
      total += deleted;
      if (deleted < batch_rows) break;
    }
  } catch (const SQLite::Exception& e) {
    Error error = sqlite_error(path_, "delete from", e, busy_timeout_ms_);
    if (total > 0) error.message += " (after removing " + std::to_string(total) + " snapshots)";
    return error;
  } catch (const std::exception& e) {
    return other_error(path_, "delete from", e);
  }
  return total;
}

}  // namespace pws::stats
