// What the commands that talk to a running server share (pws trigger,
// channels, users): --url, --app, --timeout and -k/--insecure, resolving
// the server URL and the app's credentials, and turning every outcome into
// one message and one exit status of cli.hpp.
#pragma once

#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/api_client.hpp"
#include "cmd/cli.hpp"

namespace pws::cmd {

struct ApiOptions {
  std::optional<std::string> url;  ///< --url
  std::optional<std::string> app;  ///< --app ID|NAME
  double timeout_seconds = 10;     ///< --timeout
  bool insecure = false;           ///< -k/--insecure
};

/// Adds --url, --app, --timeout and -k/--insecure to `command`.
void add_api_options(CLI::App& command, ApiOptions& options);

/// A client for the resolved server and app that reports failures itself.
class ApiSession {
 public:
  /// Loads the config, resolves the URL and the credentials. On failure
  /// prints the error (and a hint), stores the exit status and returns nullopt.
  static std::optional<ApiSession> open(const GlobalOptions& global, const ApiOptions& options, int& exit_code);

  /// The response when the server answered 2xx. Otherwise prints what went
  /// wrong (`note`, when given, is appended to the message), stores the exit
  /// status (3 no answer, 4 auth, 1 anything else) and returns nullopt.
  std::optional<client::HttpResponse> get(std::string_view resource, std::vector<http_api::QueryParam> params,
                                          int& exit_code, std::string_view note = {}) const;
  std::optional<client::HttpResponse> post(std::string_view resource, std::string_view json_body, int& exit_code,
                                           std::string_view note = {}) const;

  const client::ApiClient& client() const noexcept { return client_; }

 private:
  ApiSession(const GlobalOptions& global, client::ApiClient client) : global_(&global), client_(std::move(client)) {}
  std::optional<client::HttpResponse> finish(std::string_view method, std::string_view resource,
                                             Result<client::HttpResponse> result, long elapsed_ms, int& exit_code,
                                             std::string_view note) const;

  const GlobalOptions* global_;
  client::ApiClient client_;
};

/// The "error" member of a JSON error body, else the body itself (shortened,
/// one line), else the status's reason.
std::string server_error_text(const client::HttpResponse& response);

/// Parses a 2xx body that must be a JSON object; prints an error and sets
/// exit_code (1) when it is not.
std::optional<boost::json::object> parse_json_body(const client::HttpResponse& response, int& exit_code);

/// The output stage of a command that shows a server answer; `response` is
/// what ApiSession::get/post returned. nullopt when the command is done,
/// `exit_code` saying how: the request failed (reported already), --json
/// (the body printed unchanged), --quiet, or, when `parse`, a body that is
/// not a JSON object (reported, 1). Otherwise the body for the human output
/// (an empty object when not `parse`).
std::optional<boost::json::object> answer_for_humans(const GlobalOptions& global,
                                                     const std::optional<client::HttpResponse>& response,
                                                     int& exit_code, bool parse = true);

/// Prints a response body as the --json output (one document, newline-terminated).
void print_json_body(const client::HttpResponse& response);

/// Why `name` cannot be a channel name (empty, or a character the protocol
/// does not allow); empty when it can. Checked before anything is sent.
std::string channel_name_problem(std::string_view name);

/// "user_count,subscription_count" -> {"user_count","subscription_count"}:
/// split on commas, blanks trimmed, empty items dropped.
std::vector<std::string> split_attributes(std::string_view attributes);

/// "subscription_count" -> "SUBSCRIPTION_COUNT".
std::string column_name(std::string_view attribute);

/// A JSON value as a table cell: strings as they are, anything else serialised.
std::string cell_text(const boost::json::value* value);

/// Parses JSON text; the error message says what and where ("syntax error
/// at line 2, column 5").
Result<boost::json::value> parse_json_text(std::string_view text);

/// Everything readable from `file` ("-" = stdin). Errors name the file.
Result<std::string> read_input(const std::string& file);

}  // namespace pws::cmd
