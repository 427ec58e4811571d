// The shared CLI conventions of cli.hpp.
#include "cmd/cli.hpp"

#include <unistd.h>

#include <cstdlib>

namespace pws::cmd {

void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.add_option("-c,--config", global.config,
                 "Config file (default: $PWS_CONFIG, ./pws.toml, $XDG_CONFIG_HOME/pws/pws.toml, "
                 "/etc/pws/pws.toml)");
  app.add_flag("--json", global.json, "Machine-readable JSON output on stdout");
  app.add_flag("-q,--quiet", global.quiet, "Print nothing on success");
  app.add_flag("-v,--verbose", global.verbose, "Print progress details on stderr");
}

void print_error(std::string_view message, std::string_view hint) {
  std::fprintf(stderr, "pws: error: %.*s\n", static_cast<int>(message.size()), message.data());
  if (!hint.empty()) std::fprintf(stderr, "pws: hint: %.*s\n", static_cast<int>(hint.size()), hint.data());
}

void print_warning(std::string_view message) {
  std::fprintf(stderr, "pws: warning: %.*s\n", static_cast<int>(message.size()), message.data());
}

void print_verbose(const GlobalOptions& global, std::string_view message) {
  if (global.verbose) std::fprintf(stderr, "pws: %.*s\n", static_cast<int>(message.size()), message.data());
}

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

bool use_color(std::FILE* stream) {
  // https://no-color.org: set to anything (even empty) means no colour.
  return is_terminal(stream) && std::getenv("NO_COLOR") == nullptr;
}

namespace {

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (const char c : text)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  return width;
}

}  // namespace

void Table::print(std::FILE* out) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);

  const bool bold = use_color(out);
  auto print_row = [&](const std::vector<std::string>& row, bool header) {
    std::string line;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      // No trailing blanks after the last column.
      if (i + 1 < row.size()) line.append(widths[i] - display_width(row[i]) + 2, ' ');
    }
    if (header && bold) line = "\x1b[1m" + line + "\x1b[0m";
    line += '\n';
    std::fputs(line.c_str(), out);
  };
  print_row(header_, true);
  for (const auto& row : rows_) print_row(row, false);
}

Result<registry::Config> load_cli_config(const GlobalOptions& global) {
  auto found = registry::find_config(global.explicit_config());
  if (!found) return found.error();
  if (!*found) return registry::Config{};
  return registry::load_config(**found);
}

}  // namespace pws::cmd
