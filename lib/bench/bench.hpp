// pws bench: the load scenarios behind `pws bench` (issue 8). Each scenario
// opens client WebSockets (WsPool) to one or more loopback servers,
// subscribes them, drives traffic and measures it, and returns one JSON
// object (ResultJson) plus what went wrong, if anything.
//
//   connections  open N, subscribe, hold; connect rate, failures, server RSS
//                and CPU per connection
//   fanout       N subscribers on one channel, E events at R/s through the
//                signed HTTP API; delivered/s, delivery ratio, latency
//   channels     N subscribers over C channels, E events spread over them;
//                API requests/s (and the same delivery checks)
//   churn        connect, subscribe, unsubscribe, close at R/s for D seconds;
//                cycle rate, failures, server RSS drift
//
// Depends on the bench files below it, crypto and http_api (signing) only.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bench/source_pool.hpp"

namespace pws::bench {

/// Scenario names, in the order of --help.
inline const std::vector<std::string> kScenarios = {"connections", "fanout", "channels", "churn"};

/// What a run is asked to do. Zero means "the scenario's default" where a
/// default is given in pws-bench(1).
struct Options {
  std::string scenario;
  std::vector<Endpoint> targets;  ///< WebSocket servers; subscribers go round-robin
  Endpoint api;                   ///< where the triggers go (the first target by default)
  std::string app_id;
  std::string key;
  std::string secret;
  unsigned connections = 0;
  unsigned channels = 0;
  unsigned events = 0;
  double rate = -1;        ///< events/s (fanout, channels; 0 = as fast as answered) or cycles/s (churn)
  double duration_s = 0;   ///< hold time (connections) or run time (churn)
  unsigned sources = 4;    ///< source addresses 127.0.0.1 ... 127.0.0.K
  pid_t server_pid = 0;    ///< 0 = no server figures
  double timeout_s = 60;   ///< connect phase limit, and delivery grace after the last trigger
  unsigned probe_every = 50;
  unsigned batch_ms = 500;
  unsigned max_inflight = 500;
  unsigned trigger_connections = 0;
  bool progress = true;  ///< one line per second on stderr
};

/// Options with the scenario's defaults filled in.
Options with_defaults(Options options);

enum class Verdict {
  kOk,           ///< everything subscribed, delivered exactly once, answered 200
  kFailed,       ///< something was lost or failed (see problems)
  kUnreachable,  ///< no connection could even be opened
  kRejected,     ///< the server refused the credentials (HTTP 401/403, pusher:error 4001/4009)
};

struct Outcome {
  std::string json;                   ///< one object, no newline
  std::vector<std::string> problems;  ///< "12 deliveries lost", ...
  Verdict verdict = Verdict::kOk;
};

/// File descriptors a run needs (connections plus spare); checked against
/// RLIMIT_NOFILE by the caller.
unsigned long long needed_file_descriptors(const Options& options);

/// Runs one scenario (options already with_defaults). Throws
/// std::runtime_error only when the machine refuses (epoll).
Outcome run_scenario(const Options& options);

}  // namespace pws::bench
