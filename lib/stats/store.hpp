// Store: the statistics database (SQLite through SQLiteCpp). Opening creates
// the file (and its directory, 0700) and migrates the schema; WAL mode and a
// busy timeout let `pws stats` read and clean while the server writes. One
// Store per thread: it wraps one SQLite connection.
#pragma once

#include <cstdint>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "error/result.hpp"
#include "stats/snapshot.hpp"

namespace SQLite {
class Database;
}

namespace pws::stats {

/// The schema this binary writes. Older databases are migrated in one
/// transaction; a newer one is refused with an error naming both versions.
inline constexpr int kSchemaVersion = 2;

enum class OpenMode : unsigned char {
  ReadWrite,  ///< create and migrate as needed (server, stats clean)
  ReadOnly,   ///< never create or migrate; the file must exist (stats show)
};

struct SnapshotQuery {
  std::optional<std::string> app_id;  ///< nullopt = every app
  std::int64_t since_ms = 0;          ///< time_ms >= since_ms
  std::int64_t until_ms = INT64_MAX;  ///< time_ms < until_ms
  std::size_t limit = 100000;         ///< at most this many rows (the newest), returned oldest first
};

class Store {
 public:
  /// Errors (Errc::Io) name the path and SQLite's reason: cannot create,
  /// not a database / corrupt, read-only, schema newer than kSchemaVersion.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, OpenMode mode,
                                             int busy_timeout_ms = 5000);
  /// As above; `cancelled` is polled while waiting for a lock held by
  /// another connection: once it returns true the wait ends at once and the
  /// operation fails as "locked" (the Writer's stop deadline). It stays in
  /// effect for every later call on this Store.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, OpenMode mode,
                                             int busy_timeout_ms, std::function<bool()> cancelled);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  /// All rows in one transaction: either every row is written or none.
  Status append(const std::vector<Snapshot>& rows);

  Result<std::vector<Snapshot>> query(const SnapshotQuery& query) const;

  /// Rows with time_ms < cutoff_ms (of one app, or all).
  Result<std::int64_t> count_older_than(std::int64_t cutoff_ms, const std::optional<std::string>& app_id) const;

  /// Deletes rows with time_ms < cutoff_ms in transactions of at most
  /// `batch_rows` rows, so a long clean never holds the write lock for long.
  /// Returns the number deleted.
  Result<std::int64_t> delete_older_than(std::int64_t cutoff_ms, const std::optional<std::string>& app_id,
                                         int batch_rows = 1000);

  int schema_version() const;
  const std::filesystem::path& path() const noexcept { return path_; }
  OpenMode mode() const noexcept { return mode_; }

 private:
  Store(std::filesystem::path path, std::unique_ptr<SQLite::Database> db);
  static Result<std::unique_ptr<Store>> open_connection(const std::filesystem::path& path, OpenMode mode,
                                                        int busy_timeout_ms, std::function<bool()> cancelled,
                                                        bool immutable);
  Status read_only_version();
  static int on_busy(void* self, int attempts);
  std::filesystem::path path_;
  std::unique_ptr<SQLite::Database> db_;
  OpenMode mode_ = OpenMode::ReadWrite;
  int version_ = 0;
  int busy_timeout_ms_ = 5000;
  std::function<bool()> cancelled_;
  std::chrono::steady_clock::time_point busy_since_{};
};

}  // namespace pws::stats
