// pws channels: the occupied channels of an app (GET /apps/{id}/channels)
// or one channel (GET /apps/{id}/channels/{name}).
#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cmd/api_command.hpp"
#include "cmd/commands.hpp"

namespace pws::cmd {

namespace {

struct ChannelsOptions {
  ApiOptions api;
  std::optional<std::string> name;
  std::optional<std::string> prefix;
  std::optional<std::string> info;
};

int run_list(const GlobalOptions& global, const ChannelsOptions& options, const ApiSession& session) {
  std::vector<http_api::QueryParam> params;
  if (options.prefix) params.push_back({"filter_by_prefix", *options.prefix});
  if (options.info) params.push_back({"info", *options.info});
  int exit_code = kExitOk;
  const auto body = answer_for_humans(global, session.get("channels", std::move(params), exit_code), exit_code);
  if (!body) return exit_code;

  const auto attributes = options.info ? split_attributes(*options.info) : std::vector<std::string>{};
  std::vector<std::string> header{"NAME"};
  for (const auto& attribute : attributes) header.push_back(column_name(attribute));
  Table table(std::move(header));
  if (const auto* channels = body->if_contains("channels"); channels != nullptr && channels->is_object()) {
    for (const auto& [name, value] : channels->get_object()) {
      std::vector<std::string> row{std::string(name)};
      const auto* counts = value.is_object() ? &value.get_object() : nullptr;
      for (const auto& attribute : attributes)
        row.push_back(cell_text(counts != nullptr ? counts->if_contains(attribute) : nullptr));
      table.add_row(std::move(row));
    }
  }
  if (table.empty()) {
    // Scripts read an empty list as "nothing"; people get a sentence.
    if (is_terminal(stdout))
      std::printf("no occupied channels%s\n",
                  options.prefix ? (" starting with \"" + *options.prefix + "\"").c_str() : "");
    return kExitOk;
  }
  table.print(stdout);
  return kExitOk;
}

int run_one(const GlobalOptions& global, const ChannelsOptions& options, const ApiSession& session) {
  std::vector<http_api::QueryParam> params;
  if (options.info) params.push_back({"info", *options.info});
  int exit_code = kExitOk;
  const auto body =
      answer_for_humans(global, session.get("channels/" + *options.name, std::move(params), exit_code), exit_code);
  if (!body) return exit_code;
  for (const auto& [key, value] : *body)
    std::printf("%.*s: %s\n", static_cast<int>(key.size()), key.data(), cell_text(&value).c_str());
  return kExitOk;
}

}  // namespace

void setup_channels(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto options = std::make_shared<ChannelsOptions>();
  CLI::App* channels = add_command(app, "channels", "List an app's occupied channels, or show one channel", global);
  channels->footer(
      "Without NAME: a table NAME [USER_COUNT] [SUBSCRIPTION_COUNT] of the occupied channels\n"
      "(user_count needs --prefix presence-). With NAME: that channel's attributes.\n"
      "--json prints the server's JSON answer unchanged.");
  auto* name = channels->add_option("name", options->name, "One channel to show instead of the list");
  channels->add_option("--prefix", options->prefix, "Only channels whose name starts with this")
      ->excludes(name)
      ->option_text("PREFIX");
  channels->add_option("--info", options->info, "Attributes to show: user_count,subscription_count")
      ->option_text("ATTRS");
  add_api_options(*channels, options->api);
  channels->callback([&global, options, &exit_code] {
    if (options->name) {
      if (const auto problem = channel_name_problem(*options->name); !problem.empty()) {
        print_error(problem, "pws channels NAME shows one channel; leave NAME out to list them all");
        exit_code = kExitUsage;
        return;
      }
    }
    const auto session = ApiSession::open(global, options->api, exit_code);
    if (!session) return;
    exit_code = options->name ? run_one(global, *options, *session) : run_list(global, *options, *session);
  });
}

}  // namespace pws::cmd
