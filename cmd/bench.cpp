// pws bench: load a running server with one of the lib/bench scenarios
// (connections, fanout, channels, churn) and print one JSON result per
// scenario on stdout, progress on stderr. Loopback targets only unless
// --allow-remote; the exit status says whether anything was lost or failed.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench.hpp"
#include "bench/proc_sampler.hpp"
#include "client/api_client.hpp"
#include "client/url.hpp"
#include "cmd/commands.hpp"

namespace pws::cmd {

namespace {

struct BenchOptions {
  std::vector<std::string> scenarios;
  std::vector<std::string> urls;
  std::optional<std::string> trigger_url;
  std::optional<std::string> app;
  std::optional<std::string> app_id;
  std::optional<std::string> key;
  std::optional<std::string> secret;
  bench::Options run;
  long server_pid = 0;
  bool allow_remote = false;
};

/// The endpoint of `text` for the bench, or nullopt after reporting why
/// (exit_code set): usage for a bad, TLS or non-loopback URL, unreachable
/// when the name does not resolve.
std::optional<bench::Endpoint> bench_endpoint(const client::Url& url, bool allow_remote, int& exit_code) {
  if (url.tls) {
    print_error("pws bench speaks plain ws:// and http:// only, not " + url.text(),
                "benchmark the server on its plain port (TLS would measure OpenSSL, not pws)");
    exit_code = kExitUsage;
    return std::nullopt;
  }
  auto endpoint = bench::resolve_endpoint(url.host, static_cast<std::uint16_t>(url.port));
  if (!endpoint) {
    print_error(endpoint.error().message, "check --url");
    exit_code = kExitUnreachable;
    return std::nullopt;
  }
  if (!allow_remote && !bench::is_loopback(*endpoint)) {
    print_error("refusing to load " + url.text() + ": it is not a loopback address (127.0.0.0/8, ::1)",
                "pws bench only loads servers on this machine unless told otherwise; pass --allow-remote to load "
                "a server you own on another machine");
    exit_code = kExitUsage;
    return std::nullopt;
  }
  endpoint->path_prefix = url.path_prefix;
  return std::move(*endpoint);
}

/// Reports a scenario that did not go to plan; the exit status it deserves.
int verdict_status(const std::string& scenario, const bench::Outcome& outcome) {
  if (outcome.problems.empty()) return kExitOk;
  std::string why;
  for (const auto& problem : outcome.problems) why += (why.empty() ? "" : ", ") + problem;
  switch (outcome.verdict) {
    case bench::Verdict::kUnreachable:
      print_error(scenario + ": " + why, "is `pws serve` running at the --url given? (connections were refused)");
      return kExitUnreachable;
    case bench::Verdict::kRejected:
      print_error(scenario + ": " + why, "the server refused the credentials: check --app or --app-id/--key/--secret");
      return kExitRejected;
    default:
      print_error(scenario + ": " + why);
      return kExitFailure;
  }
}

int run_bench(const GlobalOptions& global, BenchOptions options) {
  int exit_code = kExitOk;
  const auto config = load_cli_config(global, exit_code);
  if (!config) return exit_code;

  // ---- Credentials: --app-id/--key/--secret, else as every command ----
  bench::Options& run = options.run;
  const int explicit_credentials = int(options.app_id.has_value()) + int(options.key.has_value()) +
                                   int(options.secret.has_value());
  if (explicit_credentials == 3) {
    if (options.app) {
      print_error("--app and --app-id/--key/--secret exclude each other", "give one or the other");
      return kExitUsage;
    }
    run.app_id = *options.app_id;
    run.key = *options.key;
    run.secret = *options.secret;
  } else if (explicit_credentials != 0) {
    print_error("--app-id, --key and --secret go together", "give all three, or --app ID|NAME to use the config's");
    return kExitUsage;
  } else {
    auto credentials = client::resolve_credentials(options.app, *config);
    if (!credentials) {
      const std::string known = client::describe_apps(*config);
      print_error(credentials.error().message,
                  known.empty() ? "pass --app-id, --key and --secret, or point --config at the server's pws.toml"
                                : "pass --app with one of: " + known);
      return kExitUsage;
    }
    run.app_id = credentials->app_id;
    run.key = credentials->key;
    run.secret = credentials->secret;
  }
  for (const std::string* token : {&run.app_id, &run.key}) {
    if (token->empty() || token->find_first_of(" \t\r\n\"\\&?/#%") != std::string::npos) {
      print_error("the app id and key must be plain tokens, not \"" + *token + "\"");
      return kExitUsage;
    }
  }

  // ---- Targets ----
  std::vector<client::Url> urls;
  if (options.urls.empty()) {
    auto url = client::server_url(std::nullopt, *config);
    if (!url) {
      print_error(url.error().message);
      return kExitUsage;
    }
    urls.push_back(std::move(*url));
  }
  for (const auto& text : options.urls) {
    auto url = client::parse_url(text);
    if (!url) {
      print_error("--url: " + url.error().message);
      return kExitUsage;
    }
    urls.push_back(std::move(*url));
  }
  for (const auto& url : urls) {
    auto endpoint = bench_endpoint(url, options.allow_remote, exit_code);
    if (!endpoint) return exit_code;
    run.targets.push_back(std::move(*endpoint));
  }
  run.api = run.targets.front();
  if (options.trigger_url) {
    auto url = client::parse_url(*options.trigger_url);
    if (!url) {
      print_error("--trigger-url: " + url.error().message);
      return kExitUsage;
    }
    auto endpoint = bench_endpoint(*url, options.allow_remote, exit_code);
    if (!endpoint) return exit_code;
    run.api = std::move(*endpoint);
  }

  // ---- The machine: descriptors, ports, the server's /proc ----
  run.server_pid = static_cast<pid_t>(options.server_pid);
  if (run.server_pid != 0 && !bench::read_rss_kb(run.server_pid)) {
    print_error("cannot read /proc/" + std::to_string(options.server_pid) + "/status",
                "--server-pid must be the pid of a running server on this machine");
    return kExitUsage;
  }
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  run.progress = !global.quiet;

  int status = kExitOk;
  for (const auto& scenario : options.scenarios) {
    bench::Options scenario_options = run;
    scenario_options.scenario = scenario;
    scenario_options = bench::with_defaults(std::move(scenario_options));
    const unsigned long long fds = bench::needed_file_descriptors(scenario_options);
    if (limit.rlim_cur != RLIM_INFINITY && fds > limit.rlim_cur) {
      print_error(scenario + ": " + std::to_string(scenario_options.connections) + " connections need " +
                      std::to_string(fds) + " file descriptors but the limit is " + std::to_string(limit.rlim_cur),
                  "run several `pws bench` processes with fewer --connections each, or raise the hard limit "
                  "(ulimit -Hn)");
      return kExitUsage;
    }
    const bench::SourcePool sources(scenario_options.targets.front(), scenario_options.sources);
    const unsigned long long per_target =
        (scenario_options.connections + scenario_options.targets.size() - 1) / scenario_options.targets.size();
    if (scenario != "churn" && per_target > sources.capacity()) {
      print_error(scenario + ": " + std::to_string(per_target) + " connections per server exceed the " +
                      std::to_string(sources.capacity()) + " ephemeral ports of " + std::to_string(sources.size()) +
                      " source address(es)",
                  "raise --sources (127.0.0.1 ... 127.0.0.K; each gives another port range)");
      return kExitUsage;
    }
    print_verbose(global, scenario + ": " + std::to_string(scenario_options.targets.size()) + " target(s), app " +
                              scenario_options.app_id + ", triggers to " + scenario_options.api.host_header);
    const bench::Outcome outcome = bench::run_scenario(scenario_options);
    std::printf("%s\n", outcome.json.c_str());
    std::fflush(stdout);
    const int scenario_status = verdict_status(scenario, outcome);
    if (status == kExitOk) status = scenario_status;
  }
  return status;
}


}  // namespace

void setup_bench(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* bench = add_command(app, "bench", "Measure a running server: connections, fan-out, channels, churn", global);
  bench->footer(
      "Scenarios: connections (open N, subscribe, hold), fanout (N subscribers on one channel,\n"
      "E events at R/s), channels (N subscribers over C channels; API requests/s), churn\n"
      "(connect+subscribe+unsubscribe+close at R/s for D s). One JSON object per scenario on\n"
      "stdout, progress on stderr. Loopback servers only unless --allow-remote.\n"
      "Exit status: 0 all delivered and connected, 1 something lost or failed, 2 usage,\n"
      "3 server unreachable, 4 credentials rejected.");
  bench->add_option("scenario", options->scenarios, "connections, fanout, channels or churn (several run in turn)")
      ->required()
      ->check(CLI::IsMember(bench::kScenarios));
  bench->add_option("--url", options->urls,
                    "Server http://host[:port][/prefix]; repeat to spread subscribers over several (default: "
                    "$PWS_URL, else the config's [server])")
      ->option_text("URL");
  bench->add_option("--trigger-url", options->trigger_url, "Server the HTTP API triggers go to (default: the first --url)")
      ->option_text("URL");
  bench->add_option("--app", options->app, "The app to use, by id or name (default: the only app)")
      ->option_text("ID|NAME");
  bench->add_option("--app-id", options->app_id, "App id (with --key and --secret, instead of --app)")->option_text("ID");
  bench->add_option("--key", options->key, "App key")->option_text("KEY");
  bench->add_option("--secret", options->secret, "App secret")->option_text("SECRET");
  bench->add_option("--connections", options->run.connections,
                    "WebSocket connections (default 1000; channels: 2000; churn: see --max-inflight)")
      ->check(CLI::Range(1u, 10'000'000u))
      ->option_text("N");
  bench->add_option("--channels", options->run.channels, "Channels the subscribers are spread over (channels: 1000)")
      ->check(CLI::Range(1u, 10'000'000u))
      ->option_text("N");
  bench->add_option("--events", options->run.events, "Events to publish (fanout: 100, channels: 20000)")
      ->check(CLI::Range(1u, 100'000'000u))
      ->option_text("N");
  bench->add_option("--rate", options->run.rate,
                    "Events/s (fanout: 10; 0 = as fast as answered, the channels default) or cycles/s (churn: 200)")
      ->check(CLI::Range(0.0, 1e7))
      ->option_text("R");
  bench->add_option("--duration", options->run.duration_s, "Seconds to hold (connections: 5) or to churn (churn: 10)")
      ->check(seconds_check())
      ->option_text("SECS");
  bench->add_option("--sources", options->run.sources,
                    "Spread sockets over source addresses 127.0.0.1 ... 127.0.0.K (default 4)")
      ->check(CLI::Range(1u, 254u))
      ->option_text("K");
  bench->add_option("--server-pid", options->server_pid, "The server's pid: RSS and CPU figures from /proc")
      ->check(CLI::Range(1L, 4'194'304L))
      ->option_text("PID");
  bench->add_option("--timeout", options->run.timeout_s,
                    "Seconds for the connect phase, and without progress (no answer, no delivery) before a "
                    "run is given up (default 60)")
      ->check(seconds_check())
      ->option_text("SECS");
  bench->add_flag("--allow-remote", options->allow_remote, "Allow a server that is not on a loopback address");
  bench->add_option("--probe-every", options->run.probe_every, "Time latency on every Kth connection (default 50)")
      ->check(CLI::Range(1u, 10'000'000u))
      ->option_text("K");
  bench->add_option("--batch-ms", options->run.batch_ms,
                    "Read the other subscribers every MS milliseconds; 0 = on arrival (default 500)")
      ->check(CLI::Range(0u, 10'000u))
      ->option_text("MS");
  bench->add_option("--max-inflight", options->run.max_inflight,
                    "Handshakes in flight at once; churn: cycles at once (default 500)")
      ->check(CLI::Range(1u, 100'000u))
      ->option_text("N");
  bench->add_option("--trigger-connections", options->run.trigger_connections,
                    "Keep-alive HTTP connections publishing at once (fanout: 1, channels: 8)")
      ->check(CLI::Range(1u, 256u))
      ->option_text("K");
  bench->callback([&global, options, &exit_code] { exit_code = run_bench(global, *options); });
}

}  // namespace pws::cmd
