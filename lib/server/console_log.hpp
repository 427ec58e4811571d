// ConsoleLog: with --debug, one line per lifecycle event on stdout
// (connect, subscribe, client message, API message, disconnect). Secrets and
// message bodies beyond a short prefix are never printed.
#pragma once

#include <cstdio>
#include <string_view>

#include "channels/observer.hpp"

namespace pws::server {

class ConsoleLog final : public channels::Observer {
 public:
  /// `transitions`: whether to print channel and presence transitions.
  /// With several event loops every loop's hub sees each one, and only the
  /// first loop's log prints them.
  explicit ConsoleLog(std::FILE* out, bool transitions = true) : out_(out), transitions_(transitions) {}

  void on_connected(const channels::App&, std::string_view socket_id, std::string_view origin) override;
  void on_disconnected(const channels::App&, std::string_view socket_id) override;
  void on_subscribed(const channels::App&, std::string_view socket_id, std::string_view channel) override;
  void on_unsubscribed(const channels::App&, std::string_view socket_id, std::string_view channel) override;
  void on_channel_occupied(const channels::App&, std::string_view channel) override;
  void on_channel_vacated(const channels::App&, std::string_view channel) override;
  void on_member_added(const channels::App&, std::string_view channel, std::string_view user_id) override;
  void on_member_removed(const channels::App&, std::string_view channel, std::string_view user_id) override;
  void on_client_event(const channels::App&, std::string_view socket_id, std::string_view channel,
                       std::string_view event, std::string_view data, std::string_view user_id) override;
  void on_api_message(const channels::App&, std::string_view channel, std::string_view event,
                      std::string_view data) override;
  void on_client_error(const channels::App* app, std::string_view socket_id, int code,
                       std::string_view message) override;

 private:
  void line(const channels::App* app, std::string_view what, std::string_view details);
  std::FILE* out_;
  bool transitions_;
};

}  // namespace pws::server
