// TomlReader: strict, typed reads from one toml++ table, for the config
// parser. Every key that is read is remembered as known, so whatever is left
// over can be reported as an unknown key. Problems are not returned one by
// one: they are collected in Diagnostics as "file:line: field: message" so a
// user sees every mistake in a file at once.
// Private to registry; depends on toml++ only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace pws::registry::detail {

/// Problems found in one document, each tied to a line of it.
class Diagnostics {
 public:
  explicit Diagnostics(std::string source_name) : source_name_(std::move(source_name)) {}

  /// Records "source:line: field: message"; line 0 (unknown) leaves the line out.
  void add(std::uint32_t line, std::string_view field, std::string_view message);
  void add(const toml::node& where, std::string_view field, std::string_view message) {
    add(line_of(where), field, message);
  }

  bool empty() const noexcept { return entries_.empty(); }
  const std::string& source_name() const noexcept { return source_name_; }

  /// Every problem, ordered by line, one per line of text.
  std::string text() const;

  static std::uint32_t line_of(const toml::node& node) noexcept { return node.source().begin.line; }

 private:
  struct Entry {
    std::uint32_t line;
    std::string text;
  };
  std::string source_name_;
  std::vector<Entry> entries_;
};

/// "expected <expected>, got <what node is>".
std::string type_mismatch(const toml::node& node, std::string_view expected);

/// Accepted values of an integer setting: [min, max], plus -1 when
/// `unlimited` (the Pusher limits' "no limit" value).
struct IntRange {
  std::int64_t min;
  std::int64_t max;
  bool unlimited = false;

  bool contains(std::int64_t v) const noexcept { return (unlimited && v == -1) || (v >= min && v <= max); }
  /// "must be between 1 and 65535" and the like.
  std::string describe() const;
};

/// Reads the keys of one table. `path` is the table's name in messages
/// ("server", "apps[0]"; "" for the document root).
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, Diagnostics& diagnostics)
      : table_(table), path_(std::move(path)), diagnostics_(diagnostics) {}

  /// The dotted name of `key` in this table, e.g. "server.port".
  std::string field(std::string_view key) const;
  /// Line of the table itself (its header); where a missing key is reported.
  std::uint32_t line() const noexcept { return Diagnostics::line_of(table_); }
  bool has(std::string_view key) const { return table_.contains(key); }

  /// The node at `key` (nullptr when absent), remembered as known.
  const toml::node* get(std::string_view key);

  // Each read leaves `out` untouched and returns false when the key is
  // absent or wrong (the latter is recorded); true when `out` was set.
  bool read(std::string_view key, std::string& out);
  bool read(std::string_view key, bool& out);
  bool read(std::string_view key, int& out, IntRange range);
  bool read(std::string_view key, std::int64_t& out, IntRange range);
  bool read(std::string_view key, std::vector<std::string>& out);
  /// The sub-table at `key`, nullptr when absent or not a table (recorded).
  const toml::table* read_table(std::string_view key);

  /// Records "<field>: missing <key>" at the table's line.
  void report_missing(std::string_view key);
  /// Records "<field>: expected <expected>, got <what node is>".
  void report_type(const toml::node& node, std::string_view field, std::string_view expected);
  /// Records every key that no get/read asked for.
  void report_unknown_keys();

  Diagnostics& diagnostics() noexcept { return diagnostics_; }

 private:
  const toml::table& table_;
  std::string path_;
  Diagnostics& diagnostics_;
  std::vector<std::string> known_;
};

}  // namespace pws::registry::detail
