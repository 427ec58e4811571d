// edit_registry_file and the text transforms of `pws apps add|remove`. See
// registry_file.hpp. The transforms locate [[apps]] tables with toml++'s
// source positions (never by searching the text for "[[apps]]", which may
// also occur inside strings and comments) and cut whole lines only.
#include "registry/registry_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "registry/private_file.hpp"

namespace pws::registry {

namespace fs = std::filesystem;

namespace {

using detail::create_private_directories;
using detail::io_error;

// ---- Files and locks ----

/// An exclusive flock on an open lock file, released (and closed) at scope exit.
class FileLock {
 public:
  FileLock() = default;
  explicit FileLock(int fd) : fd_(fd) {}
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileLock& operator=(FileLock&&) = delete;
  FileLock(const FileLock&) = delete;
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }

 private:
  int fd_ = -1;
};

/// Opens (creating, 0600) `lock_path` and takes an exclusive flock on it,
/// polling until `timeout`. The lock file is never removed: removing it
/// would let two editors lock two different inodes.
Result<FileLock> lock_file(const fs::path& lock_path, std::chrono::milliseconds timeout) {
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create lock file", lock_path, errno);
  FileLock lock(fd);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return lock;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) return io_error("lock", lock_path, errno);
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error(Errc::Io, "cannot lock " + lock_path.string() + ": another process has been editing " +
                                      "the file for more than " + std::to_string(timeout.count() / 1000) + " s");
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

/// `path` with a symbolic link (chain) resolved, so that the link survives
/// the rename; unchanged when it is not a link or cannot be resolved.
fs::path resolve_link(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_symlink(path, ec)) return path;
  fs::path target = fs::weakly_canonical(path, ec);
  return ec ? path : target;
}

// ---- Text ----

/// The text split after every '\n'; each line keeps its terminator (the last
/// one may have none). Joining the lines gives the text back exactly.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

bool is_blank(std::string_view line) { return trim(line).empty(); }
bool is_comment(std::string_view line) { return trim(line).starts_with('#'); }

/// The last line (1-based) any part of `node` is written on.
std::uint32_t last_line(const toml::node& node) {
  std::uint32_t line = node.source().end.line;
  if (const auto* table = node.as_table()) {
    for (auto&& [key, value] : *table) line = std::max({line, key.source().end.line, last_line(value)});
  } else if (const auto* array = node.as_array()) {
    for (const toml::node& element : *array) line = std::max(line, last_line(element));
  }
  return line;
}

Result<toml::table> parse_toml(std::string_view text, const std::string& source_name) {
  try {
    return toml::parse(text, std::string_view(source_name));
  } catch (const toml::parse_error& e) {
    const auto& at = e.source().begin;
    return make_error(Errc::InvalidConfig, source_name + ':' + std::to_string(at.line) + ':' +
                                               std::to_string(at.column) + ": " + std::string(e.description()));
  }
}

/// The app id a [[apps]] table holds, as parse_config reads it.
std::optional<std::string> id_of(const toml::table& app) {
  const toml::node* id = app.get("id");
  if (!id) return std::nullopt;
  if (const auto* s = id->as_string()) return s->get();
  if (const auto* i = id->as_integer()) return std::to_string(i->get());
  return std::nullopt;
}

std::string describe(const channels::App& app) {
  return "app \"" + app.name + "\" (id " + app.id + ")";
}

}  // namespace

std::string render_empty_config() {
  // render_default_config with a placeholder app, minus that app's block.
  channels::App placeholder;
  placeholder.id = "0";
  placeholder.key = "placeholder";
  placeholder.secret = "placeholder";
  placeholder.name = "placeholder";
  std::string text = render_default_config(placeholder);
  const std::string block = render_app_block(placeholder);
  if (text.size() >= block.size() && text.compare(text.size() - block.size(), block.size(), block) == 0)
    text.resize(text.size() - block.size());
  // The header says who wrote the file.
  const std::string_view generated_by = "generated by `pws serve` on first start.";
  if (const auto at = text.find(generated_by); at != std::string::npos)
    text.replace(at, generated_by.size(), "generated by `pws apps add`.");
  return text;
}

Result<RegistryEdit> edit_registry_file(const fs::path& requested,
                                        const std::function<Result<std::string>(const std::string& text)>& edit,
                                        std::chrono::milliseconds lock_timeout) {
  if (requested.empty() || !requested.has_filename())
    return make_error(Errc::Io, "cannot edit \"" + requested.string() + "\": not a file name");
  RegistryEdit result;
  result.path = resolve_link(requested);
  const fs::path& path = result.path;
  // Before anything is created (a lock file beside a directory would stay).
  if (std::error_code ec; fs::is_directory(path, ec))
    return make_error(Errc::Io, "cannot edit " + path.string() + ": it is a directory, not a config file");
  if (path.has_parent_path()) {
    if (auto created = create_private_directories(path.parent_path()); !created) return created.error();
  }

  fs::path lock_path = path;
  lock_path += ".lock";
  auto lock = lock_file(lock_path, lock_timeout);
  if (!lock) return lock.error();

  // Read under the lock: whatever another editor wrote before is kept.
  auto current = detail::read_config_text(path);
  if (!current) return current.error();
  result.created = !current->has_value();
  const std::string before = result.created ? render_empty_config() : std::move(**current);

  auto after = edit(before);
  if (!after) return after.error();
  auto config = parse_config(*after, path.string());
  if (!config)
    return make_error(Errc::InvalidConfig, "refusing to write " + path.string() +
                                               ", the result would not be a valid config: " + config.error().message);

  if (auto written = write_private_file(path, *after); !written) return written.error();
  result.config = std::move(*config);
  result.config.source = path;
  return result;
}

Result<std::string> append_app_text(std::string_view text, const channels::App& app, const std::string& source_name) {
  auto config = parse_config(text, source_name);
  if (!config) return config.error();
  for (const channels::App& existing : config->apps) {
    if (existing.id == app.id)
      return make_error(Errc::InvalidConfig,
                        "app id \"" + app.id + "\" is already used by " + describe(existing) + " in " + source_name);
    if (existing.key == app.key)
      return make_error(Errc::InvalidConfig,
                        "app key \"" + app.key + "\" is already used by " + describe(existing) + " in " + source_name);
  }
  std::string out(text);
  if (!out.empty() && out.back() != '\n') out += '\n';
  if (!out.empty()) out += '\n';
  out += render_app_block(app);
  return out;
}

Result<std::string> remove_app_text(std::string_view text, std::string_view app_id, const std::string& source_name) {
  auto config = parse_config(text, source_name);
  if (!config) return config.error();
  auto root = parse_toml(text, source_name);
  if (!root) return root.error();

  const toml::array* apps = root->get_as<toml::array>("apps");
  const toml::table* target = nullptr;
  if (apps) {
    for (const toml::node& element : *apps) {
      const auto* table = element.as_table();
      if (table && id_of(*table) == app_id) {
        target = table;
        break;
      }
    }
  }
  if (!target) return make_error(Errc::InvalidConfig, "no app \"" + std::string(app_id) + "\" in " + source_name);
  if (target->is_inline())
    return make_error(Errc::InvalidConfig, "app \"" + std::string(app_id) + "\" is written inline (apps = [{ ... }]) in " +
                                               source_name + "; only [[apps]] tables can be removed, edit the file by hand");

  const std::vector<std::string_view> lines = split_lines(text);
  const std::size_t n = lines.size();
  // 0-based indices. toml++ puts an array-of-tables element at its header.
  const std::size_t header = target->source().begin.line - 1;
  const std::size_t content_end = std::min<std::size_t>(last_line(*target), n);  // one past the last value line
  if (header >= n || header >= content_end || !trim(lines[header]).starts_with("[["))
    return make_error(Errc::Internal, "cannot locate the [[apps]] table of \"" + std::string(app_id) + "\" in " +
                                          source_name);

  // After the last value only blank and comment lines can come before the
  // next header (anything else would belong to this table).
  std::size_t next = content_end;
  while (next < n && (is_blank(lines[next]) || is_comment(lines[next]))) ++next;

  std::size_t cut_begin = header;
  std::size_t cut_end = next;
  if (next < n) {
    // A comment paragraph right above the next header, set off from this
    // table by a blank line, belongs to that header.
    std::size_t paragraph = next;
    while (paragraph > content_end && is_comment(lines[paragraph - 1])) --paragraph;
    if (paragraph < next && paragraph > content_end && is_blank(lines[paragraph - 1])) {
      cut_end = paragraph;
      // Keep one blank line there when nothing else will separate that
      // paragraph from whatever precedes the removed table.
      if (cut_begin > 0 && !is_blank(lines[cut_begin - 1])) cut_end = paragraph - 1;
    }
  } else {
    // Last in the file: take the blank lines that separated it along, so that
    // an append followed by a remove gives the original text back.
    while (cut_begin > 0 && is_blank(lines[cut_begin - 1])) --cut_begin;
  }

  std::string out;
  for (std::size_t i = 0; i < cut_begin; ++i) out += lines[i];
  for (std::size_t i = cut_end; i < n; ++i) out += lines[i];
  return out;
}

}  // namespace pws::registry
