// pws stats show / pws stats clean: read and prune the statistics database
// the server writes ([statistics] database).
#include <time.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cmd/commands.hpp"
#include "cmd/sparkline.hpp"
#include "registry/config.hpp"
#include "stats/cluster_totals.hpp"
#include "stats/store.hpp"

namespace pws::cmd {

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::size_t kTableRows = 30;        ///< rows shown per app; --json lists all
constexpr std::size_t kSparklineBuckets = 60;
constexpr std::size_t kQueryLimit = 1000000;  ///< newest rows read by `show`
constexpr int kDeleteBatch = 1000;

struct ShowOptions {
  std::string app;
  std::string since = "24h";
};

struct CleanOptions {
  std::optional<std::string> older_than;
  std::string app;
  bool dry_run = false;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// The time `seconds` ago, not before 1970 (durations may reach further back
/// than a timestamp can be written; nothing was recorded before anyway).
std::int64_t since_time_ms(std::int64_t seconds) { return std::max<std::int64_t>(0, now_ms() - seconds * 1000); }

std::int64_t floor_seconds(std::int64_t time_ms) { return time_ms / 1000 - (time_ms % 1000 < 0 ? 1 : 0); }

/// `time_ms` through strftime `format`, in UTC or in local time ("?" when
/// the time cannot be broken down).
std::string format_time(std::int64_t time_ms, const char* format, bool utc) {
  const time_t t = static_cast<time_t>(floor_seconds(time_ms));
  struct tm parts {};
  char text[32] = "?";
  if (utc ? ::gmtime_r(&t, &parts) : ::localtime_r(&t, &parts)) std::strftime(text, sizeof text, format, &parts);
  return text;
}

/// "2026-09-27 08:00" in local time.
std::string local_minute(std::int64_t time_ms) { return format_time(time_ms, "%Y-%m-%d %H:%M", false); }

/// "2026-09-27T06:00:00Z".
std::string rfc3339_utc(std::int64_t time_ms) { return format_time(time_ms, "%Y-%m-%dT%H:%M:%SZ", true); }

bool all_digits(const std::string& text) {
  if (text.empty()) return false;
  for (const char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

/// App ids in order: numeric ids by value, then the others alphabetically.
struct IdLess {
  bool operator()(const std::string& a, const std::string& b) const {
    const bool da = all_digits(a), db = all_digits(b);
    if (da != db) return da;
    if (da) {
      const auto trim = [](const std::string& s) { return s.substr(std::min(s.find_first_not_of('0'), s.size())); };
      const std::string ta = trim(a), tb = trim(b);
      if (ta.size() != tb.size()) return ta.size() < tb.size();
      if (ta != tb) return ta < tb;
    }
    return a < b;
  }
};

std::string registry_name(const registry::Config& config) {
  return config.source.empty() ? std::string("the registry") : config.source.string();
}

std::string known_ids(const registry::Config& config) {
  std::string ids;
  for (const auto& app : config.apps) {
    if (!ids.empty()) ids += ", ";
    ids += app.id;
    if (!app.name.empty()) ids += " (" + app.name + ")";
  }
  return ids;
}

bool has_rows_for(const fs::path& db_path, const std::string& app_id) {
  std::error_code ec;
  if (!fs::exists(db_path, ec)) return false;
  auto store = stats::Store::open(db_path, stats::OpenMode::ReadOnly);
  if (!store) return false;
  auto count = (*store)->count_older_than(INT64_MAX, app_id);
  return count && *count > 0;
}

/// --app ID|NAME: a registry id, else a registry name, else an id the
/// registry no longer has (statistics outlive removed apps) when the
/// database has rows for it or it looks like an id. "" = every app.
/// Returns the exit status on failure, after printing the error.
std::optional<int> resolve_app(const registry::Config& config, const std::string& text, const fs::path& db_path,
                               std::optional<std::string>& app_id) {
  app_id.reset();
  if (text.empty()) return std::nullopt;
  for (const auto& app : config.apps) {
    if (app.id == text) {
      app_id = app.id;
      return std::nullopt;
    }
  }
  std::vector<std::string> by_name;
  for (const auto& app : config.apps)
    if (app.name == text) by_name.push_back(app.id);
  if (by_name.size() == 1) {
    app_id = by_name.front();
    return std::nullopt;
  }
  if (by_name.size() > 1) {
    std::string ids;
    for (const auto& id : by_name) ids += (ids.empty() ? "" : ", ") + id;
    print_error("app name \"" + text + "\" is ambiguous in " + registry_name(config) + ": ids " + ids,
                "use --app ID");
    return kExitUsage;
  }
  if (all_digits(text) || has_rows_for(db_path, text)) {
    app_id = text;
    return std::nullopt;
  }
  const std::string known = known_ids(config);
  const std::string hint = known.empty() ? std::string() : "known apps: " + known;
  print_error("no app \"" + text + "\": not an app id or name in " + registry_name(config) +
                  " and no statistics recorded for it",
              hint);
  return kExitUsage;
}

/// A database error, with a hint where there is something to do about it.
void print_db_error(const Error& error) {
  const std::string& message = error.message;
  std::string_view hint;
  if (message.find("database is locked") != std::string::npos)
    hint = "another process (pws serve, another pws stats clean?) kept the database busy; try again";
  else if (message.find("not a database") != std::string::npos || message.find("malformed") != std::string::npos)
    hint = "move the file away (pws serve then starts a new one) or set [statistics] database to another file";
  print_error(message, hint);
}

void print_json(const json::value& value) {
  const std::string text = json::serialize(value);
  std::fputs(text.c_str(), stdout);
  std::fputc('\n', stdout);
}

std::string app_heading(const registry::Config& config, const std::string& id) {
  std::string heading = "app " + id;
  for (const auto& app : config.apps)
    if (app.id == id && !app.name.empty()) heading += " (" + app.name + ")";
  return heading;
}

void print_sparklines(const std::vector<stats::Snapshot>& rows) {
  std::vector<std::int64_t> times, peaks, ws, api;
  std::int64_t max_peak = 0, ws_total = 0, api_total = 0;
  for (const auto& row : rows) {
    times.push_back(row.time_ms);
    peaks.push_back(row.peak_connections);
    ws.push_back(row.websocket_messages);
    api.push_back(row.api_messages);
    max_peak = std::max(max_peak, row.peak_connections);
    ws_total += row.websocket_messages;
    api_total += row.api_messages;
  }
  const auto line = [](const char* label, const std::string& chart, const std::string& figure) {
    std::printf("%-13s %s  %s\n", label, chart.c_str(), figure.c_str());
  };
  line("connections", sparkline(bucket_series(times, peaks, kSparklineBuckets, false)),
       "max " + std::to_string(max_peak));
  line("ws messages", sparkline(bucket_series(times, ws, kSparklineBuckets, true)),
       "total " + std::to_string(ws_total));
  line("api messages", sparkline(bucket_series(times, api, kSparklineBuckets, true)),
       "total " + std::to_string(api_total));
}

void print_app_table(const std::vector<stats::Snapshot>& rows) {
  bool nodes = false;
  for (const auto& row : rows) nodes = nodes || !row.node.empty();
  std::vector<std::string> header{"TIME", "PEAK_CONNECTIONS", "WS_MESSAGES", "API_MESSAGES"};
  if (nodes) header.push_back("NODE");
  Table table(header);
  const std::size_t first = rows.size() > kTableRows ? rows.size() - kTableRows : 0;
  if (first > 0)
    std::printf("(%zu earlier snapshot%s not shown; --json lists all)\n", first, first == 1 ? "" : "s");
  for (std::size_t i = first; i < rows.size(); ++i) {
    const auto& row = rows[i];
    std::vector<std::string> cells{local_minute(row.time_ms), std::to_string(row.peak_connections),
                                   std::to_string(row.websocket_messages), std::to_string(row.api_messages)};
    if (nodes) cells.push_back(row.node.empty() ? "-" : row.node);
    table.add_row(std::move(cells));
  }
  std::fflush(stdout);
  table.print(stdout);
}

/// Several nodes' rows (a cluster, issue 7): what they did together, per minute.
void print_cluster_table(const std::vector<stats::ClusterTotal>& totals) {
  if (totals.empty()) return;
  std::printf("\ncluster, per minute (each node's highest peak in the minute, added up)\n");
  Table table({"MINUTE", "PEAK_CONNECTIONS", "WS_MESSAGES", "API_MESSAGES", "NODES"});
  const std::size_t first = totals.size() > kTableRows ? totals.size() - kTableRows : 0;
  for (std::size_t i = first; i < totals.size(); ++i) {
    const auto& t = totals[i];
    table.add_row({local_minute(t.minute_ms), std::to_string(t.peak_connections), std::to_string(t.websocket_messages),
                   std::to_string(t.api_messages), std::to_string(t.nodes)});
  }
  std::fflush(stdout);
  table.print(stdout);
}

int run_show(const GlobalOptions& global, const ShowOptions& options) {
  int status = kExitOk;
  auto config = load_cli_config(global, status);
  if (!config) return status;
  auto since = registry::parse_duration(options.since);
  if (!since) {
    print_error("--since: " + since.error().message);
    return kExitUsage;
  }
  const fs::path db_path = registry::statistics_database_path(*config);
  print_verbose(global, "statistics database " + db_path.string());
  std::optional<std::string> app_id;
  if (auto failed = resolve_app(*config, options.app, db_path, app_id)) return *failed;

  std::error_code ec;
  if (!fs::exists(db_path, ec)) {
    if (global.json)
      print_json(json::object{{"apps", json::array{}}});
    else if (!global.quiet)
      std::printf("no statistics recorded yet (%s)\n", db_path.c_str());
    return kExitOk;
  }
  auto store = stats::Store::open(db_path, stats::OpenMode::ReadOnly);
  if (!store) {
    print_db_error(store.error());
    return kExitFailure;
  }
  stats::SnapshotQuery query;
  query.app_id = app_id;
  query.since_ms = since_time_ms(*since);
  query.limit = kQueryLimit;
  print_verbose(global, "snapshots since " + rfc3339_utc(query.since_ms));
  auto rows = (*store)->query(query);
  if (!rows) {
    print_db_error(rows.error());
    return kExitFailure;
  }
  if (rows->size() >= kQueryLimit)
    print_warning("only the newest " + std::to_string(kQueryLimit) + " snapshots were read; use a shorter --since");

  std::map<std::string, std::vector<stats::Snapshot>, IdLess> by_app;
  if (app_id) by_app[*app_id];
  for (auto& row : *rows) by_app[row.app_id].push_back(std::move(row));

  if (global.json) {
    json::array apps;
    for (const auto& [id, snapshots] : by_app) {
      json::array list;
      for (const auto& row : snapshots) {
        json::object item{{"time", floor_seconds(row.time_ms)},
                          {"peak_connections", row.peak_connections},
                          {"websocket_messages", row.websocket_messages},
                          {"api_messages", row.api_messages}};
        if (!row.node.empty()) item["node"] = row.node;
        list.push_back(std::move(item));
      }
      json::object app{{"app_id", id}, {"snapshots", std::move(list)}};
      if (const auto totals = stats::cluster_totals(snapshots); !totals.empty()) {
        json::array cluster;
        for (const auto& t : totals)
          cluster.push_back(json::object{{"minute", floor_seconds(t.minute_ms)},
                                         {"peak_connections", t.peak_connections},
                                         {"websocket_messages", t.websocket_messages},
                                         {"api_messages", t.api_messages},
                                         {"nodes", t.nodes}});
        app["cluster"] = std::move(cluster);
      }
      apps.push_back(std::move(app));
    }
    print_json(json::object{{"apps", std::move(apps)}});
    return kExitOk;
  }
  if (global.quiet) return kExitOk;

  if (by_app.empty()) {
    std::printf("no statistics in the last %s (%s)\n", options.since.c_str(), db_path.c_str());
    return kExitOk;
  }
  const bool terminal = is_terminal(stdout);
  const bool bold = use_color(stdout);
  bool first = true;
  for (const auto& [id, snapshots] : by_app) {
    if (!first) std::putchar('\n');
    first = false;
    const std::string heading = app_heading(*config, id);
    std::printf(bold ? "\x1b[1m%s\x1b[0m\n" : "%s\n", heading.c_str());
    if (snapshots.empty()) {
      std::printf("no snapshots in the last %s\n", options.since.c_str());
      continue;
    }
    if (terminal) print_sparklines(snapshots);
    print_app_table(snapshots);
    print_cluster_table(stats::cluster_totals(snapshots));
  }
  return kExitOk;
}

int run_clean(const GlobalOptions& global, const CleanOptions& options) {
  int status = kExitOk;
  auto config = load_cli_config(global, status);
  if (!config) return status;
  std::int64_t seconds = config->statistics.retention_seconds;
  std::string older_than = config->statistics.retention;
  if (options.older_than) {
    auto parsed = registry::parse_duration(*options.older_than);
    if (!parsed) {
      print_error("--older-than: " + parsed.error().message);
      return kExitUsage;
    }
    seconds = *parsed;
    older_than = *options.older_than;
  }
  const std::int64_t cutoff_ms = since_time_ms(seconds);
  const fs::path db_path = registry::statistics_database_path(*config);
  print_verbose(global, "statistics database " + db_path.string());
  print_verbose(global, "cutoff " + rfc3339_utc(cutoff_ms));
  std::optional<std::string> app_id;
  if (auto failed = resolve_app(*config, options.app, db_path, app_id)) return *failed;

  std::int64_t removed = 0;
  std::error_code ec;
  if (fs::exists(db_path, ec)) {
    auto store = stats::Store::open(db_path, options.dry_run ? stats::OpenMode::ReadOnly : stats::OpenMode::ReadWrite);
    if (!store) {
      print_db_error(store.error());
      return kExitFailure;
    }
    auto result = options.dry_run ? (*store)->count_older_than(cutoff_ms, app_id)
                                  : (*store)->delete_older_than(cutoff_ms, app_id, kDeleteBatch);
    if (!result) {
      print_db_error(result.error());
      return kExitFailure;
    }
    removed = *result;
  } else {
    print_verbose(global, "no statistics database yet");
  }

  if (global.json) {
    print_json(json::object{{"removed", removed}, {"dry_run", options.dry_run}, {"cutoff", rfc3339_utc(cutoff_ms)}});
  } else if (!global.quiet) {
    std::printf("%s %lld snapshots older than %s\n", options.dry_run ? "would remove" : "removed",
                static_cast<long long>(removed), older_than.c_str());
  }
  return kExitOk;
}

}  // namespace

void setup_stats(CLI::App& app, GlobalOptions& global, int& exit_code) {
  ::tzset();
  CLI::App* stats = add_command(app, "stats", "Show or clean the per-app statistics the server records", global);
  stats->require_subcommand(1);

  auto show_options = std::make_shared<ShowOptions>();
  CLI::App* show =
      add_command(*stats, "show", "Show recorded snapshots per app: tables, and sparklines on a terminal", global);
  show->add_option("--app", show_options->app, "Only this app (registry id or name; or the id of a removed app)");
  show->add_option("--since", show_options->since, "How far back, e.g. 90m, 24h, 7d (default 24h)");
  show->callback([&global, show_options, &exit_code] { exit_code = run_show(global, *show_options); });

  auto clean_options = std::make_shared<CleanOptions>();
  CLI::App* clean = add_command(*stats, "clean", "Delete old snapshots", global);
  clean->add_option("--older-than", clean_options->older_than,
                    "Delete snapshots older than this, e.g. 60d (default: [statistics] retention)");
  clean->add_option("--app", clean_options->app, "Only this app (registry id or name; or the id of a removed app)");
  clean->add_flag("--dry-run", clean_options->dry_run, "Count what would be deleted, delete nothing");
  clean->callback([&global, clean_options, &exit_code] { exit_code = run_clean(global, *clean_options); });
}

}  // namespace pws::cmd
