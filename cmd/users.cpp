// pws users: the users present on a presence channel
// (GET /apps/{id}/channels/{name}/users), one id per line.
#include <boost/json.hpp>

#include <cstdio>
#include <memory>
#include <string>

#include "cmd/api_command.hpp"
#include "cmd/commands.hpp"

namespace pws::cmd {

namespace {

struct UsersOptions {
  ApiOptions api;
  std::string channel;
};

int run_users(const GlobalOptions& global, const UsersOptions& options) {
  if (const auto problem = channel_name_problem(options.channel); !problem.empty()) {
    print_error("--channel: " + problem, "pws users --channel presence-NAME");
    return kExitUsage;
  }
  int exit_code = kExitOk;
  const auto session = ApiSession::open(global, options.api, exit_code);
  if (!session) return exit_code;
  const auto body =
      answer_for_humans(global, session->get("channels/" + options.channel + "/users", {}, exit_code), exit_code);
  if (!body) return exit_code;
  if (const auto* users = body->if_contains("users"); users != nullptr && users->is_array()) {
    for (const auto& user : users->get_array()) {
      const auto* id = user.is_object() ? user.get_object().if_contains("id") : nullptr;
      if (id != nullptr) std::printf("%s\n", cell_text(id).c_str());
    }
  }
  return kExitOk;
}

}  // namespace

void setup_users(CLI::App& app, GlobalOptions& global, int& exit_code) {
  auto options = std::make_shared<UsersOptions>();
  CLI::App* users = add_command(app, "users", "List the users on a presence channel, one id per line", global);
  users->footer("--json prints the server's JSON answer unchanged.");
  users->add_option("--channel", options->channel, "The presence channel (presence-...)")
      ->required()
      ->option_text("NAME");
  add_api_options(*users, options->api);
  users->callback([&global, options, &exit_code] { exit_code = run_users(global, *options); });
}

}  // namespace pws::cmd
