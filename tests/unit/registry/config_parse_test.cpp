#include <catch2/catch.hpp>

#include "registry/config.hpp"
#include "registry/test_support.hpp"

using namespace pws;
using namespace pws::registry;
using Catch::Matchers::Contains;

namespace {

Config parse_ok(std::string_view text) {
  auto config = parse_config(text, "pws.toml");
  if (!config) FAIL("unexpected error: " << config.error().message);
  return std::move(config).value();
}

std::string parse_error(std::string_view text) {
  auto config = parse_config(text, "pws.toml");
  REQUIRE_FALSE(config.ok());
  CHECK(config.error().code == Errc::InvalidConfig);
  return config.error().message;
}

// Each line number below is this document's; keep them in step.
constexpr std::string_view kFullConfig = R"toml([server]
host = "127.0.0.1"
port = 7001
path_prefix = "/ws"
activity_timeout = 40
ping_interval = 50
pong_timeout = 20
max_request_size_in_kb = 500
max_message_size_in_kb = 64
max_connections = 5000
require_protocol = true
auth_timestamp_tolerance = 300
max_outbound_messages = 2000
max_outbound_bytes_in_kb = 2048
debug = true

[server.tls]
cert = "/etc/pws/cert.pem"
key = "/etc/pws/key.pem"
passphrase = "hunter2"

[limits]
max_client_events_per_sec = 20

[[apps]]
id = "1001"
key = "pws-key"
secret = "pws-secret"
name = "My app"
enabled = false
enable_client_messages = true
enable_statistics = false
enable_subscription_count = true
enable_user_authentication = true
user_authentication_timeout = 15000
require_tls = true
allowed_origins = ["https://example.com", "*.example.org"]
max_connections = 100
max_client_events_per_sec = -1
max_event_payload_in_kb = 20
max_event_name_length = 150
max_event_channels_at_once = 50
max_event_batch_size = 5
max_channel_name_length = 120
max_presence_members_per_channel = 80
max_presence_member_size_in_kb = 2
max_user_id_length = 64
max_subscriptions_per_connection = 500
max_backend_events_per_sec = 1000
max_read_req_per_sec = 200

[[apps]]
id = 1002
key = "second-key"
secret = "second-secret"
)toml";

}  // namespace

// ---- Values ----

TEST_CASE("a full config file parses into every server and app field", "[registry]") {
  const Config config = parse_ok(kFullConfig);
  const ServerConfig& s = config.server;
  CHECK(s.host == "127.0.0.1");
  CHECK(s.port == 7001);
  CHECK(s.path_prefix == "/ws");
  CHECK(s.activity_timeout == 40);
  CHECK(s.ping_interval == 50);
  CHECK(s.pong_timeout == 20);
  CHECK(s.max_request_size_in_kb == 500);
  CHECK(s.max_message_size_in_kb == 64);
  CHECK(s.max_connections == 5000);
  CHECK(s.require_protocol);
  CHECK(s.auth_timestamp_tolerance == 300);
  CHECK(s.max_outbound_messages == 2000);
  CHECK(s.max_outbound_bytes_in_kb == 2048);
  CHECK(s.debug);
  CHECK(s.tls.enabled());
  CHECK(s.tls.cert_path == "/etc/pws/cert.pem");
  CHECK(s.tls.key_path == "/etc/pws/key.pem");
  CHECK(s.tls.passphrase == "hunter2");
  CHECK(config.source.empty());

  REQUIRE(config.apps.size() == 2);
  const channels::App& a = config.apps[0];
  CHECK(a.id == "1001");
  CHECK(a.key == "pws-key");
  CHECK(a.secret == "pws-secret");
  CHECK(a.name == "My app");
  CHECK_FALSE(a.enabled);
  CHECK(a.enable_client_messages);
  CHECK_FALSE(a.enable_statistics);
  CHECK(a.enable_subscription_count);
  CHECK(a.enable_user_authentication);
  CHECK(a.user_authentication_timeout_ms == 15000);
  CHECK(a.require_tls);
  CHECK(a.allowed_origins == std::vector<std::string>{"https://example.com", "*.example.org"});
  CHECK(a.limits.max_connections == 100);
  CHECK(a.limits.max_client_events_per_sec == -1);
  CHECK(a.limits.max_event_payload_in_kb == 20);
  CHECK(a.limits.max_event_name_length == 150);
  CHECK(a.limits.max_event_channels_at_once == 50);
  CHECK(a.limits.max_event_batch_size == 5);
  CHECK(a.limits.max_channel_name_length == 120);
  CHECK(a.limits.max_presence_members_per_channel == 80);
  CHECK(a.limits.max_presence_member_size_in_kb == 2);
  CHECK(a.limits.max_user_id_length == 64);
  CHECK(a.limits.max_subscriptions_per_connection == 500);
  CHECK(a.limits.max_backend_events_per_sec == 1000);
  CHECK(a.limits.max_read_req_per_sec == 200);

  const channels::App& b = config.apps[1];
  CHECK(b.id == "1002");
  CHECK(b.name == "1002");
  CHECK(b.limits.max_client_events_per_sec == 20);
}

TEST_CASE("settings left out take their documented defaults", "[registry]") {
  const Config config = parse_ok("[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\n");
  const ServerConfig d;
  const ServerConfig& s = config.server;
  CHECK(s.host == "0.0.0.0");
  CHECK(s.port == 6001);
  CHECK(s.path_prefix.empty());
  CHECK(s.activity_timeout == d.activity_timeout);
  CHECK(s.ping_interval == d.ping_interval);
  CHECK(s.pong_timeout == d.pong_timeout);
  CHECK(s.max_request_size_in_kb == d.max_request_size_in_kb);
  CHECK(s.max_message_size_in_kb == d.max_message_size_in_kb);
  CHECK(s.max_connections == -1);
  CHECK_FALSE(s.require_protocol);
  CHECK(s.auth_timestamp_tolerance == 600);
  CHECK(s.max_outbound_messages == d.max_outbound_messages);
  CHECK(s.max_outbound_bytes_in_kb == d.max_outbound_bytes_in_kb);
  CHECK_FALSE(s.debug);
  CHECK_FALSE(s.tls.enabled());

  REQUIRE(config.apps.size() == 1);
  const channels::App& a = config.apps[0];
  const channels::App da;
  CHECK(a.name == "1");
  CHECK(a.enabled == da.enabled);
  CHECK(a.enable_client_messages == da.enable_client_messages);
  CHECK(a.enable_statistics == da.enable_statistics);
  CHECK(a.enable_subscription_count == da.enable_subscription_count);
  CHECK(a.enable_user_authentication == da.enable_user_authentication);
  CHECK(a.user_authentication_timeout_ms == 30000);
  CHECK(a.require_tls == da.require_tls);
  CHECK(a.allowed_origins.empty());
  CHECK(a.limits.max_client_events_per_sec == 10);
  CHECK(a.limits.max_event_payload_in_kb == 10);
  CHECK(a.limits.max_channel_name_length == 164);
  CHECK(a.limits.max_backend_events_per_sec == -1);
}

TEST_CASE("[limits] sets every app's default limits and an app's own value wins", "[registry]") {
  const Config config = parse_ok(R"toml([limits]
max_client_events_per_sec = 5
max_event_payload_in_kb = 32
max_connections = 200

[[apps]]
id = "1"
key = "k1"
secret = "s"

[[apps]]
id = "2"
key = "k2"
secret = "s"
max_client_events_per_sec = 50
max_connections = -1
)toml");
  REQUIRE(config.apps.size() == 2);
  CHECK(config.apps[0].limits.max_client_events_per_sec == 5);
  CHECK(config.apps[0].limits.max_event_payload_in_kb == 32);
  CHECK(config.apps[0].limits.max_connections == 200);
  CHECK(config.apps[0].limits.max_event_batch_size == 10);
  CHECK(config.apps[1].limits.max_client_events_per_sec == 50);
  CHECK(config.apps[1].limits.max_event_payload_in_kb == 32);
  CHECK(config.apps[1].limits.max_connections == -1);
}

TEST_CASE("a config without apps parses; the caller decides whether that is enough", "[registry]") {
  CHECK(parse_ok("").apps.empty());
  CHECK(parse_ok("[server]\nport = 0\n").server.port == 0);
  CHECK(parse_ok("apps = []\n").apps.empty());
}

TEST_CASE("inline tables are accepted like their [table] form", "[registry]") {
  const Config config = parse_ok("server = { port = 7000 }\napps = [{ id = \"1\", key = \"k\", secret = \"s\" }]\n");
  CHECK(config.server.port == 7000);
  REQUIRE(config.apps.size() == 1);
  CHECK(config.apps[0].key == "k");
}

// ---- Validation ----

TEST_CASE("an unknown key is an error naming file, line and field", "[registry]") {
  SECTION("in [server]") {
    CHECK(parse_error("[server]\nport = 1\nprot = 2\n") == "pws.toml:3: server.prot: unknown key");
  }
  SECTION("in [server.tls]") {
    CHECK(parse_error("[server.tls]\ncert = \"c\"\nkey = \"k\"\nchain = \"x\"\n") ==
          "pws.toml:4: server.tls.chain: unknown key");
  }
  SECTION("in an app") {
    CHECK(parse_error("[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\nsecert = \"t\"\n") ==
          "pws.toml:5: apps[0].secert: unknown key");
  }
  SECTION("in [limits]") {
    CHECK(parse_error("[limits]\nmax_watchers = 1\n") == "pws.toml:2: limits.max_watchers: unknown key");
  }
  SECTION("a table not known yet") {
    CHECK(parse_error("[server]\nport = 1\n\n[cluster]\nenabled = true\n") ==
          "pws.toml:4: cluster: unknown key");
  }
  SECTION("at the top level") {
    CHECK(parse_error("port = 6001\n") == "pws.toml:1: port: unknown key");
  }
}

TEST_CASE("a value of the wrong type is an error naming what was expected", "[registry]") {
  CHECK(parse_error("[server]\nport = \"x\"\n") == "pws.toml:2: server.port: expected an integer, got a string");
  CHECK(parse_error("[server]\ndebug = 1\n") == "pws.toml:2: server.debug: expected a boolean, got an integer");
  CHECK(parse_error("[server]\nhost = 1.5\n") ==
        "pws.toml:2: server.host: expected a string, got a floating-point number");
  CHECK(parse_error("server = 1\n") == "pws.toml:1: server: expected a table, got an integer");
  CHECK(parse_error("[apps]\nid = \"1\"\n") ==
        "pws.toml:1: apps: expected an array of tables ([[apps]]), got a table");
  CHECK(parse_error("[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\nallowed_origins = [\"a\", 2]\n") ==
        "pws.toml:5: apps[0].allowed_origins[1]: expected a string, got an integer");
  CHECK(parse_error("[[apps]]\nid = true\nkey = \"k\"\nsecret = \"s\"\n") ==
        "pws.toml:2: apps[0].id: expected a string or an integer, got a boolean");
}

TEST_CASE("numbers out of range are errors", "[registry]") {
  CHECK(parse_error("[server]\nport = 65536\n") ==
        "pws.toml:2: server.port: must be between 0 and 65535, got 65536");
  CHECK(parse_error("[server]\nport = -1\n") == "pws.toml:2: server.port: must be between 0 and 65535, got -1");
  CHECK_THAT(parse_error("[server]\nactivity_timeout = 0\n"),
             Contains("pws.toml:2: server.activity_timeout: must be between 1 and"));
  CHECK_THAT(parse_error("[server]\npong_timeout = -1\n"), Contains("server.pong_timeout"));
  CHECK_THAT(parse_error("[server]\nmax_message_size_in_kb = 0\n"), Contains("server.max_message_size_in_kb"));
  CHECK_THAT(parse_error("[server]\nmax_request_size_in_kb = 3000000\n"),
             Contains("server.max_request_size_in_kb: must be between 1 and 2097151"));
  CHECK_THAT(parse_error("[server]\nmax_connections = 0\n"),
             Contains("server.max_connections: must be -1 (unlimited) or at least 1, got 0"));
  CHECK_THAT(parse_error("[limits]\nmax_event_batch_size = -1\n"),
             Contains("pws.toml:2: limits.max_event_batch_size: must be between 1 and"));
  CHECK_THAT(parse_error("[limits]\nmax_client_events_per_sec = -2\n"),
             Contains("limits.max_client_events_per_sec: must be -1 (unlimited) or between 1 and"));
  CHECK_THAT(parse_error("[limits]\nmax_user_id_length = 3000000000\n"),
             Contains("limits.max_user_id_length: must be between 1 and 2147483647"));
  CHECK_THAT(parse_error("[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\nuser_authentication_timeout = 0\n"),
             Contains("pws.toml:5: apps[0].user_authentication_timeout"));
  CHECK_THAT(parse_error("[[apps]]\nid = -5\nkey = \"k\"\nsecret = \"s\"\n"),
             Contains("pws.toml:2: apps[0].id: must not be negative"));
}

TEST_CASE("limits Pusher allows to be unlimited accept -1", "[registry]") {
  const Config config = parse_ok(R"toml([limits]
max_connections = -1
max_client_events_per_sec = -1
max_backend_events_per_sec = -1
max_read_req_per_sec = -1
)toml");
  (void)config;
}

TEST_CASE("path_prefix must be empty or start with a slash and not end with one", "[registry]") {
  CHECK(parse_ok("[server]\npath_prefix = \"/a/b\"\n").server.path_prefix == "/a/b");
  CHECK(parse_ok("[server]\npath_prefix = \"\"\n").server.path_prefix.empty());
  for (const char* bad : {"ws", "/ws/", "/"}) {
    CHECK_THAT(parse_error(std::string("[server]\npath_prefix = \"") + bad + "\"\n"),
               Contains("pws.toml:2: server.path_prefix: must be empty or start with"));
  }
}

TEST_CASE("an empty host is an error", "[registry]") {
  CHECK(parse_error("[server]\nhost = \"\"\n") == "pws.toml:2: server.host: must not be empty");
}

TEST_CASE("a missing or empty id, key or secret is an error at the app's line", "[registry]") {
  CHECK(parse_error("[server]\nport = 1\n\n[[apps]]\nid = \"1\"\nkey = \"k\"\n") ==
        "pws.toml:4: apps[0].secret: missing secret");
  CHECK(parse_error("[[apps]]\nkey = \"k\"\nsecret = \"s\"\n") == "pws.toml:1: apps[0].id: missing id");
  CHECK(parse_error("[[apps]]\nid = \"1\"\nsecret = \"s\"\n") == "pws.toml:1: apps[0].key: missing key");
  CHECK(parse_error("[[apps]]\nid = \"1\"\nkey = \"\"\nsecret = \"s\"\n") ==
        "pws.toml:3: apps[0].key: must not be empty");
  CHECK(parse_error("[[apps]]\nid = \"\"\nkey = \"k\"\nsecret = \"s\"\n") ==
        "pws.toml:2: apps[0].id: must not be empty");
}

TEST_CASE("[server.tls] needs both a certificate and a key", "[registry]") {
  CHECK(parse_error("[server.tls]\ncert = \"c.pem\"\n") == "pws.toml:1: server.tls.key: missing key");
  CHECK(parse_error("[server.tls]\nkey = \"k.pem\"\n") == "pws.toml:1: server.tls.cert: missing cert");
}

TEST_CASE("two apps with the same id are an error naming both lines", "[registry]") {
  const std::string message = parse_error(R"toml([[apps]]
id = "1001"
key = "a"
secret = "s"

[[apps]]
id = 1001
key = "b"
secret = "s"
)toml");
  CHECK(message == "pws.toml:7: apps[1].id: duplicate app id \"1001\", already used by apps[0] at pws.toml:2");
}

TEST_CASE("two apps with the same key are an error naming both lines", "[registry]") {
  const std::string message = parse_error(R"toml([[apps]]
id = "1"
key = "shared"
secret = "s"

[[apps]]
id = "2"
key = "shared"
secret = "s"
)toml");
  CHECK(message == "pws.toml:8: apps[1].key: duplicate app key \"shared\", already used by apps[0] at pws.toml:3");
}

TEST_CASE("a TOML syntax error gives file, line, column and toml++'s description", "[registry]") {
  const std::string message = parse_error("[server]\nport = 6001\nhost = \"unterminated\n");
  CHECK_THAT(message, Contains("pws.toml:3:"));
  CHECK_THAT(message, Contains("pws.toml:3:") && Contains("string"));
  CHECK(message.rfind("pws.toml:3:", 0) == 0);

  const std::string redefined = parse_error("[server]\nport = 1\nport = 2\n");
  CHECK(redefined.rfind("pws.toml:3:", 0) == 0);
}

TEST_CASE("every problem in a file is reported, in line order", "[registry]") {
  const std::string message = parse_error(R"toml([server]
port = "x"
debug = 2

[[apps]]
id = "1"
key = "k"
)toml");
  CHECK(message ==
        "pws.toml:2: server.port: expected an integer, got a string\n"
        "pws.toml:3: server.debug: expected a boolean, got an integer\n"
        "pws.toml:5: apps[0].secret: missing secret");
}

// ---- Files ----

TEST_CASE("load_config reads a file, records it and names it in errors", "[registry]") {
  test::TempDir dir;
  const auto path = dir / "pws.toml";

  SECTION("a valid file") {
    test::write_text(path, "[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\n");
    auto config = load_config(path);
    REQUIRE(config.ok());
    CHECK(config->source == path);
    CHECK(config->apps.size() == 1);
  }
  SECTION("an invalid file") {
    test::write_text(path, "[server]\nprot = 1\n");
    auto config = load_config(path);
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().code == Errc::InvalidConfig);
    CHECK(config.error().message == path.string() + ":2: server.prot: unknown key");
  }
  SECTION("a file that is not there") {
    auto config = load_config(dir / "missing.toml");
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().code == Errc::Io);
    CHECK_THAT(config.error().message, Contains((dir / "missing.toml").string()));
  }
  SECTION("a directory") {
    auto config = load_config(dir.path());
    REQUIRE_FALSE(config.ok());
    CHECK(config.error().code == Errc::Io);
  }
}

TEST_CASE("relative TLS paths are resolved against the config file's directory", "[registry]") {
  test::TempDir dir;
  const auto path = dir / "conf/pws.toml";
  test::write_text(path, "[server.tls]\ncert = \"tls/cert.pem\"\nkey = \"/abs/key.pem\"\n");
  auto config = load_config(path);
  REQUIRE(config.ok());
  CHECK(config->server.tls.cert_path == (dir / "conf/tls/cert.pem").string());
  CHECK(config->server.tls.key_path == "/abs/key.pem");
}

TEST_CASE("[dashboard] defaults, and every setting read", "[registry]") {
  const Config defaults = parse_ok("");
  CHECK(defaults.dashboard.enabled);
  CHECK(defaults.dashboard.path == "/dashboard");
  CHECK(defaults.dashboard.token.empty());
  CHECK(defaults.dashboard.open_on_loopback);
  CHECK(defaults.dashboard.max_event_data_size_in_bytes == 1024);

  const Config c = parse_ok(R"toml([dashboard]
enabled = false
path = "/debug/console"
token = "a-token-of-24-characters"
open_on_loopback = false
max_event_data_size_in_bytes = 4096
)toml");
  CHECK_FALSE(c.dashboard.enabled);
  CHECK(c.dashboard.path == "/debug/console");
  CHECK(c.dashboard.token == "a-token-of-24-characters");
  CHECK_FALSE(c.dashboard.open_on_loopback);
  CHECK(c.dashboard.max_event_data_size_in_bytes == 4096);
}

TEST_CASE("[dashboard] refuses paths the protocol uses, malformed paths, short tokens and odd sizes", "[registry]") {
  for (const char* path : {"dashboard", "/dashboard/", "/", "", "/a b", "/a?b", "/a%2f", "/a//b"})
    CHECK_THAT(parse_error("[dashboard]\npath = \"" + std::string(path) + "\"\n"),
               Contains("pws.toml:2: dashboard.path: must start with \"/\""));
  for (const char* path : {"/feed", "/app", "/apps", "/apps/1", "/metrics", "/up", "/ready"})
    CHECK_THAT(parse_error("[dashboard]\npath = \"" + std::string(path) + "\"\n"),
               Contains("is used by the Pusher protocol or the HTTP API"));
  CHECK_THAT(parse_error("[dashboard]\ntoken = \"short\"\n"),
             Contains("pws.toml:2: dashboard.token: must be at least 16 characters"));
  CHECK_THAT(parse_error("[dashboard]\nmax_event_data_size_in_bytes = 8\n"),
             Contains("dashboard.max_event_data_size_in_bytes"));
  CHECK_THAT(parse_error("[dashboard]\nfoo = 1\n"), Contains("dashboard.foo"));
}

TEST_CASE("[[apps.webhooks]]: url, event types, headers and filter are read", "[registry]") {
  const Config c = parse_ok(R"toml([[apps]]
id = "1"
key = "k"
secret = "s"
enable_watchlist_events = true
webhook_batching = true
webhook_batching_window_ms = 200
webhook_vacate_delay_ms = 3000
max_watchlist_size = 50
cache_ttl = 60

[[apps.webhooks]]
url = "https://hooks.example.com/pusher"
event_types = ["channel_occupied", "channel_vacated"]
headers = { "X-Api-Token" = "t0k3n" }
filter = { channel_name_starts_with = "presence-", channel_name_ends_with = "-room" }

[[apps.webhooks]]
url = "http://127.0.0.1:9000/all"
)toml");
  REQUIRE(c.apps.size() == 1);
  const auto& app = c.apps[0];
  CHECK(app.enable_watchlist_events);
  CHECK(app.webhook_batching);
  CHECK(app.webhook_batching_window_ms == 200);
  CHECK(app.webhook_vacate_delay_ms == 3000);
  CHECK(app.limits.max_watchlist_size == 50);
  CHECK(app.limits.cache_ttl == 60);
  REQUIRE(app.webhooks.size() == 2);
  const auto& first = app.webhooks[0];
  CHECK(first.url == "https://hooks.example.com/pusher");
  CHECK(first.event_types == std::vector<std::string>{"channel_occupied", "channel_vacated"});
  REQUIRE(first.headers.size() == 1);
  CHECK(first.headers[0] == std::pair<std::string, std::string>{"X-Api-Token", "t0k3n"});
  CHECK(first.wants("channel_occupied", "presence-chat-room"));
  CHECK_FALSE(first.wants("member_added", "presence-chat-room"));
  CHECK_FALSE(first.wants("channel_occupied", "private-chat-room"));
  CHECK_FALSE(first.wants("channel_occupied", "presence-chat"));
  const auto& second = app.webhooks[1];
  CHECK(second.event_types.empty());
  for (auto type : channels::kWebhookEventTypes) CHECK(second.wants(type, "anything"));

  const Config defaults = parse_ok("[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\n");
  CHECK_FALSE(defaults.apps[0].enable_watchlist_events);
  CHECK_FALSE(defaults.apps[0].webhook_batching);
  CHECK(defaults.apps[0].webhook_batching_window_ms == 50);
  CHECK(defaults.apps[0].webhook_vacate_delay_ms == 0);
  CHECK(defaults.apps[0].limits.max_watchlist_size == 100);
  CHECK(defaults.apps[0].limits.cache_ttl == 1800);
  CHECK(defaults.apps[0].webhooks.empty());
}

TEST_CASE("[[apps.webhooks]] refuses bad URLs, unknown types and header injection", "[registry]") {
  const std::string app = "[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\n[[apps.webhooks]]\n";
  struct Case {
    std::string body;
    std::string message;
  };
  for (const Case& c : {
           Case{"event_types = [\"channel_occupied\"]\n", "pws.toml:5: apps[0].webhooks[0].url: missing"},
           Case{"url = \"ftp://x\"\n", "apps[0].webhooks[0].url: must start with http:// or https://"},
           Case{"url = \"https://\"\n", "apps[0].webhooks[0].url: must name a host"},
           Case{"url = \"https://a b\"\n", "url: must not contain spaces, line breaks or control characters"},
           Case{"url = \"https://a\\r\\nX-Evil: 1\"\n", "url: must not contain spaces, line breaks"},
           Case{"url = \"https://a\"\nevent_types = [\"channel_opened\"]\n", "unknown event type \"channel_opened\""},
           Case{"url = \"https://a\"\nevent_types = []\n", "event_types: must not be empty"},
           Case{"url = \"https://a\"\nheaders = { \"X-Pusher-Signature\" = \"x\" }\n",
                "headers.X-Pusher-Signature: is set by pws itself"},
           Case{"url = \"https://a\"\nheaders = { \"content-type\" = \"x\" }\n", "headers.content-type: is set by pws"},
           Case{"url = \"https://a\"\nheaders = { \"X-A\" = \"v\\r\\nX-Evil: 1\" }\n",
                "headers.X-A: must not contain line breaks or control characters"},
           Case{"url = \"https://a\"\nheaders = { \"Bad Name\" = \"v\" }\n", "is not a valid header name"},
           Case{"url = \"https://a\"\nheaders = { \"X-A\" = 1 }\n", "headers.X-A: expected a string"},
           Case{"url = \"https://a\"\nfilter = { channel_prefix = \"x\" }\n", "filter.channel_prefix"},
           Case{"url = \"https://a\"\nsecret = \"x\"\n", "apps[0].webhooks[0].secret"},
       }) {
    INFO(c.body);
    CHECK_THAT(parse_error(app + c.body), Contains(c.message));
  }
  CHECK_THAT(parse_error("[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\nwebhooks = \"https://a\"\n"),
             Contains("apps[0].webhooks: expected an array of tables"));
  CHECK_THAT(parse_error("[[apps]]\nid = \"1\"\nkey = \"k\"\nsecret = \"s\"\nwebhook_batching_window_ms = 0\n"),
             Contains("webhook_batching_window_ms"));
}

TEST_CASE("[webhooks] defaults, every setting read, and its ranges (issue 6)", "[registry][webhooks]") {
  const Config defaults = parse_ok("");
  CHECK(defaults.webhooks.request_timeout_in_seconds == 10);
  CHECK(defaults.webhooks.retry_window_in_seconds == 300);
  CHECK(defaults.webhooks.max_pending_events == 10000);
  CHECK(defaults.webhooks.shutdown_grace_in_seconds == 3);

  const Config c = parse_ok(R"toml([webhooks]
request_timeout_in_seconds = 2
retry_window_in_seconds = 0
max_pending_events = 50
shutdown_grace_in_seconds = 0
)toml");
  CHECK(c.webhooks.request_timeout_in_seconds == 2);
  CHECK(c.webhooks.retry_window_in_seconds == 0);
  CHECK(c.webhooks.max_pending_events == 50);
  CHECK(c.webhooks.shutdown_grace_in_seconds == 0);

  struct Case {
    std::string text;
    std::string message;
  };
  for (const Case& bad : {
           Case{"request_timeout_in_seconds = 0", "pws.toml:2: webhooks.request_timeout_in_seconds"},
           Case{"request_timeout_in_seconds = 301", "webhooks.request_timeout_in_seconds"},
           Case{"retry_window_in_seconds = -1", "webhooks.retry_window_in_seconds"},
           Case{"max_pending_events = 0", "webhooks.max_pending_events"},
           Case{"shutdown_grace_in_seconds = \"3s\"", "webhooks.shutdown_grace_in_seconds"},
           Case{"batching = true", "webhooks.batching"},
       }) {
    INFO(bad.text);
    CHECK_THAT(parse_error("[webhooks]\n" + bad.text + "\n"), Contains(bad.message));
  }
  // The server-wide table and an app's [[apps.webhooks]] live side by side.
  const Config both = parse_ok(R"toml([webhooks]
retry_window_in_seconds = 60
[[apps]]
id = "1"
key = "k"
secret = "s"
[[apps.webhooks]]
url = "http://127.0.0.1:9/hook"
)toml");
  CHECK(both.webhooks.retry_window_in_seconds == 60);
  REQUIRE(both.apps.at(0).webhooks.size() == 1);
}

TEST_CASE("app ids, keys and secrets with spaces or control characters are refused", "[registry]") {
  const std::string head = "[[apps]]\n";
  CHECK_THAT(parse_error(head + "id = \"1 2\"\nkey = \"k\"\nsecret = \"s\"\n"),
             Contains("apps[0].id: must not contain spaces or control characters"));
  CHECK_THAT(parse_error(head + "id = \"1\"\nkey = \"k\\r\\nX-Evil: 1\"\nsecret = \"s\"\n"),
             Contains("pws.toml:3: apps[0].key: must not contain spaces or control characters"));
  CHECK_THAT(parse_error(head + "id = \"1\"\nkey = \"k\"\nsecret = \"s\\t\"\n"),
             Contains("apps[0].secret: must not contain spaces or control characters"));
  CHECK(parse_ok(head + "id = \"1\"\nkey = \"k-ëy\"\nsecret = \"s!@#$%^&*()\"\n").apps[0].key == "k-ëy");
}

TEST_CASE("[server] shutdown_grace_in_seconds: default 3, 1..600", "[registry]") {
  CHECK(parse_ok("").server.shutdown_grace_in_seconds == 3);
  CHECK(parse_ok("[server]\nshutdown_grace_in_seconds = 30\n").server.shutdown_grace_in_seconds == 30);
  CHECK_THAT(parse_error("[server]\nshutdown_grace_in_seconds = 0\n"), Contains("server.shutdown_grace_in_seconds"));
  CHECK_THAT(parse_error("[server]\nshutdown_grace_in_seconds = 601\n"), Contains("server.shutdown_grace_in_seconds"));
}
