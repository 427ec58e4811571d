// read_process_figures: /proc/self/stat, /proc/self/fd and getrlimit, the
// same sources the official Prometheus client libraries use.
#include "http_api/process_figures.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace pws::http_api {

namespace {

std::string read_small_file(const char* path) {
  std::string text;
  if (std::FILE* f = std::fopen(path, "r")) {
    char buffer[4096];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
    std::fclose(f);
  }
  return text;
}

/// Seconds since boot at which the system booted, as Unix time.
double boot_time_seconds() {
  const std::string stat = read_small_file("/proc/stat");
  const auto at = stat.find("\nbtime ");
  return at == std::string::npos ? -1 : std::strtod(stat.c_str() + at + 7, nullptr);
}

std::int64_t count_open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  std::int64_t count = 0;
  while (const dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') ++count;
  ::closedir(dir);
  return count - 1;  // the descriptor of the directory being read
}

}  // namespace

ProcessFigures read_process_figures() {
  ProcessFigures figures;
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  // Fields after the command name, which is in parentheses and may hold spaces.
  const std::string stat = read_small_file("/proc/self/stat");
  if (const auto close = stat.rfind(')'); close != std::string::npos && ticks > 0) {
    // Field 3 (state) is the first after ")"; utime=14, stime=15,
    // starttime=22, vsize=23, rss=24.
    const char* p = stat.c_str() + close + 2;
    unsigned long long value[25] = {};
    for (int field = 3; field <= 24 && *p; ++field) {
      char* end = nullptr;
      value[field] = std::strtoull(p, &end, 10);
      if (end == p) {  // the state letter
        while (*p && *p != ' ') ++p;
      } else {
        p = end;
      }
      while (*p == ' ') ++p;
    }
    figures.cpu_seconds = static_cast<double>(value[14] + value[15]) / static_cast<double>(ticks);
    figures.virtual_bytes = static_cast<std::int64_t>(value[23]);
    figures.resident_bytes = static_cast<std::int64_t>(value[24]) * page;
    if (const double boot = boot_time_seconds(); boot >= 0)
      figures.start_time_seconds = boot + static_cast<double>(value[22]) / static_cast<double>(ticks);
  }
  figures.open_fds = count_open_fds();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) figures.max_fds = static_cast<std::int64_t>(limit.rlim_cur);
  return figures;
}

}  // namespace pws::http_api
