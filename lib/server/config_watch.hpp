// ConfigWatch: notices that the registry file was replaced or rewritten
// (`pws apps add` renames a new file into place; editors write in place or
// rename), by polling its identity and modification time. Polling once a
// second costs one stat() and works on every file system, where inotify
// misses renames of the watched path and does not work over NFS.
#pragma once

#include <sys/stat.h>

#include <filesystem>

namespace pws::server {

class ConfigWatch {
 public:
  explicit ConfigWatch(std::filesystem::path path) : path_(std::move(path)) { stamp_ = read(); }

  /// True once per change since the last call (or construction).
  bool changed() {
    const Stamp now = read();
    if (now == stamp_) return false;
    stamp_ = now;
    return true;
  }

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  struct Stamp {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    long long mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  };

  Stamp read() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return Stamp{};  // missing: wait for it to come back
    return Stamp{st.st_dev, st.st_ino, st.st_size,
                 static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec};
  }

  std::filesystem::path path_;
  Stamp stamp_;
};

}  // namespace pws::server
