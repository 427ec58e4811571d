// ProcessFigures: the standard Prometheus process_* figures of this process,
// read from /proc (Linux). Fields stay at -1 when /proc cannot be read.
#pragma once

#include <cstdint>

namespace pws::http_api {

struct ProcessFigures {
  double cpu_seconds = -1;         ///< user + system
  std::int64_t resident_bytes = -1;
  std::int64_t virtual_bytes = -1;
  std::int64_t open_fds = -1;
  std::int64_t max_fds = -1;
  double start_time_seconds = -1;  ///< Unix epoch
};

ProcessFigures read_process_figures();

}  // namespace pws::http_api
