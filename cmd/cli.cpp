// The shared CLI conventions of cli.hpp.
#include "cmd/cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
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

CLI::App* add_command(CLI::App& parent, const std::string& name, const std::string& description,
                      GlobalOptions& global) {
  CLI::App* command = parent.add_subcommand(name, description);
  add_global_options(*command, global);
  return command;
}

std::string command_path(const CLI::App& top) {
  std::string path = top.get_name();
  for (const CLI::App* at = &top;;) {
    const auto given = at->get_subcommands();
    if (given.empty()) break;
    at = given.front();
    path += " " + at->get_name();
  }
  return path;
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

/// Terminal columns of one code point: 0 for combining marks and zero-width
/// characters, 2 for East Asian wide and fullwidth ones and emoji shown as
/// such (Unicode East_Asian_Width W/F, the common blocks), else 1.
std::size_t code_point_width(std::uint32_t cp) {
  struct Range {
    std::uint32_t first, last;
  };
  static constexpr Range kZero[] = {{0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x200B, 0x200F}, {0x20D0, 0x20FF},
                                    {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}};
  static constexpr Range kWide[] = {
      {0x1100, 0x115F},   {0x231A, 0x231B},   {0x23E9, 0x23EC},   {0x23F0, 0x23F0},   {0x23F3, 0x23F3},
      {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267F, 0x267F},   {0x2693, 0x2693},
      {0x26A1, 0x26A1},   {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},   {0x26CE, 0x26CE},
      {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},   {0x26FA, 0x26FA},
      {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},   {0x274C, 0x274C},
      {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},   {0x27B0, 0x27B0},
      {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x2E80, 0x303E},
      {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},
      {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
      {0x1F680, 0x1F6FF}, {0x1F900, 0x1F9FF}, {0x1FA70, 0x1FAFF}, {0x20000, 0x3FFFD}};
  for (const Range& r : kZero)
    if (cp >= r.first && cp <= r.last) return 0;
  for (const Range& r : kWide)
    if (cp >= r.first && cp <= r.last) return 2;
  return 1;
}

/// Terminal columns of UTF-8 text.
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3
                               : (lead & 0xF8) == 0xF0                  ? 4
                                                                        : 1;
    std::uint32_t cp = length == 1 ? lead : lead & (0x7F >> length);
    bool ok = i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = (next & 0xC0) == 0x80;
      cp = (cp << 6) | (next & 0x3F);
    }
    // A broken sequence counts its first byte as one column and goes on.
    width += ok ? code_point_width(cp) : 1;
    i += ok ? length : 1;
  }
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

std::optional<std::filesystem::path> find_cli_config(const GlobalOptions& global, int& exit_code) {
  auto found = registry::find_config(global.explicit_config());
  if (!found) {
    // The only error: a file the user named that is not there.
    print_error(found.error().message,
                global.explicit_config()
                    ? "check the path given with --config (only `pws apps add` creates a missing file)"
                    : "check $PWS_CONFIG, or unset it to use the default locations (see pws(1) FILES)");
    exit_code = kExitUsage;
    return std::nullopt;
  }
  if (!*found) {
    print_verbose(global, "no config file found");
    return std::filesystem::path();
  }
  print_verbose(global, "config file " + (*found)->string());
  return **found;
}

std::optional<registry::Config> load_cli_config(const GlobalOptions& global, int& exit_code) {
  const auto path = find_cli_config(global, exit_code);
  if (!path) return std::nullopt;
  if (path->empty()) return registry::Config{};
  auto config = registry::load_config(*path);
  if (!config) {
    print_error(config.error().message);
    exit_code = kExitFailure;
    return std::nullopt;
  }
  return std::move(*config);
}

CLI::Validator seconds_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double seconds = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !(seconds >= 0.001 && seconds <= 86400.0))
          return "must be a number of seconds from 0.001 to 86400, not \"" + text + "\"";
        return {};
      },
      "");
}

}  // namespace pws::cmd
