// write_private_file: how pws writes files holding app secrets, and the
// file helpers of private_file.hpp. The text
// goes to a temporary file in the target's directory, created 0600 from the
// start (never briefly world-readable), is fsync'ed and then renamed over the
// target, so a reader sees either the old file or the whole new one.
// POSIX only.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include "crypto/crypto.hpp"
#include "registry/config.hpp"
#include "registry/private_file.hpp"

namespace pws::registry {

namespace fs = std::filesystem;

namespace detail {

Error io_error(const std::string& what, const fs::path& path, int err) {
  return make_error(Errc::Io, "cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

Status create_private_directories(const fs::path& dir) {
  std::vector<fs::path> missing;
  std::error_code ec;
  for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0700) != 0 && errno != EEXIST) return io_error("create directory", *it, errno);
  }
  return Ok{};
}

Result<std::optional<std::string>> read_config_text(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    if (errno == ENOENT) return std::optional<std::string>();
    return io_error("open config file", path, errno);
  }
  std::string text;
  char buffer[8192];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
  const bool failed = std::ferror(file);
  const int saved_errno = errno;
  std::fclose(file);
  if (failed) return io_error("read config file", path, saved_errno);
  return std::optional<std::string>(std::move(text));
}

}  // namespace detail

namespace {

using detail::create_private_directories;
using detail::io_error;

Status write_all(int fd, const std::string& text, const fs::path& path) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("write", path, errno);
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return Ok{};
}

/// Opens a new, uniquely named file next to `path`, mode 0600.
Result<int> create_temp_file(const fs::path& path, fs::path& temp) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  for (int attempt = 0;; ++attempt) {
    std::string suffix;
    try {
      suffix = crypto::random_hex(8);
    } catch (const std::exception& e) {
      return make_error(Errc::Io, std::string("cannot name a temporary file: ") + e.what());
    }
    temp = dir / ("." + path.filename().string() + ".tmp-" + suffix);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt >= 8) return io_error("create", temp, errno);
  }
}

/// Makes the rename itself durable; failing that only loses durability, so
/// errors are ignored.
void sync_directory(const fs::path& path) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

Status write_private_file(const fs::path& path, const std::string& text) {
  if (path.empty() || !path.has_filename()) return make_error(Errc::Io, "cannot write \"" + path.string() + "\": not a file name");
  if (path.has_parent_path()) {
    if (auto created = create_private_directories(path.parent_path()); !created) return created;
  }

  fs::path temp;
  auto fd = create_temp_file(path, temp);
  if (!fd) return fd.error();

  // From here on the temporary file must not be left behind on failure.
  auto fail = [&](Error error) -> Status {
    ::unlink(temp.c_str());
    return error;
  };
  if (auto written = write_all(*fd, text, temp); !written) {
    ::close(*fd);
    return fail(written.error());
  }
  // The umask may have taken bits off 0600 at open; the result must be exactly 0600.
  if (::fchmod(*fd, 0600) != 0) {
    const int err = errno;
    ::close(*fd);
    return fail(io_error("set the mode of", temp, err));
  }
  if (::fsync(*fd) != 0) {
    const int err = errno;
    ::close(*fd);
    return fail(io_error("sync", temp, err));
  }
  if (::close(*fd) != 0) return fail(io_error("close", temp, errno));
  if (::rename(temp.c_str(), path.c_str()) != 0) return fail(io_error("replace", path, errno));
  sync_directory(path);
  return Ok{};
}

}  // namespace pws::registry
