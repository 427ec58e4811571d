// What every subcommand shares: global options, exit statuses, error and
// verbose messages, terminal detection and aligned tables. Commands print
// through these so that scripts can rely on one convention everywhere.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error/result.hpp"
#include "registry/config.hpp"

namespace pws::cmd {

/// Documented in pws(1); cron jobs and scripts act on them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      ///< the server or a file said no (other than auth)
  kExitUsage = 2,        ///< bad flags or values: nothing was attempted
  kExitUnreachable = 3,  ///< no answer from the server (refused, DNS, timeout, TLS)
  kExitRejected = 4,     ///< the server refused the credentials (HTTP 401/403)
};

struct GlobalOptions {
  std::string config;  ///< --config, empty = discover
  bool json = false;   ///< --json: machine output on stdout
  bool quiet = false;  ///< --quiet: no human output on success (--json and --env output stay)
  bool verbose = false;

  std::optional<std::filesystem::path> explicit_config() const {
    return config.empty() ? std::nullopt : std::optional<std::filesystem::path>(config);
  }
};

/// --config, --json, --quiet, --verbose on `app`. Called for the top-level
/// app and every subcommand, so they work on either side of the subcommand
/// and every --help lists them.
void add_global_options(CLI::App& app, GlobalOptions& global);

/// A subcommand of `parent` that takes the global options too.
CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      GlobalOptions& global);

/// "pws apps add": the deepest subcommand of `top` given on the command line.
std::string command_path(const CLI::App& top);

/// Checks a number of seconds, whole or a fraction, from 0.001 to 86400
/// (CLI::Range would let "nan" through).
CLI::Validator seconds_check();

/// "pws: error: <message>" (and "pws: hint: <hint>") on stderr.
void print_error(std::string_view message, std::string_view hint = {});
/// "pws: warning: <message>" on stderr.
void print_warning(std::string_view message);
/// "pws: <message>" on stderr, only with --verbose.
void print_verbose(const GlobalOptions& global, std::string_view message);

/// True when `stream` is a terminal.
bool is_terminal(std::FILE* stream);
/// Colour and bold on `stream`: a terminal and NO_COLOR unset (any value disables).
bool use_color(std::FILE* stream);

/// Rows printed with columns padded to their widest cell; the header is
/// bold when colour is on. Cells may hold UTF-8 (width counts code points).
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const noexcept { return rows_.empty(); }
  void print(std::FILE* out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// The config file a command reads: --config or $PWS_CONFIG, which must
/// exist, else the first file found (pws(1) FILES), else an empty path
/// (there is none). A named file that does not exist is a usage error: it
/// is reported, `exit_code` set to kExitUsage and nullopt returned.
std::optional<std::filesystem::path> find_cli_config(const GlobalOptions& global, int& exit_code);

/// The registry a command reads: find_cli_config's file, loaded, or an empty
/// Config (no source) when there is none. nullopt after reporting the error:
/// kExitUsage for a named file that does not exist, kExitFailure for one
/// that cannot be read or is not a valid config.
std::optional<registry::Config> load_cli_config(const GlobalOptions& global, int& exit_code);

}  // namespace pws::cmd
