#include "server/console_log.hpp"

#include <ctime>
#include <string>

namespace pws::server {

namespace {

std::string clip(std::string_view data) {
  constexpr std::size_t kMax = 120;
  std::string out(data.substr(0, kMax));
  for (char& c : out)
    if (c == '\n' || c == '\r') c = ' ';
  if (data.size() > kMax) out += "...";
  return out;
}

}  // namespace

void ConsoleLog::line(const channels::App* app, std::string_view what, std::string_view details) {
  char stamp[32];
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::fprintf(out_, "%s app=%s %.*s %.*s\n", stamp, app ? app->id.c_str() : "-", static_cast<int>(what.size()),
               what.data(), static_cast<int>(details.size()), details.data());
  std::fflush(out_);
}

void ConsoleLog::on_connected(const channels::App& a, std::string_view s, std::string_view origin) {
  line(&a, "connected", "socket=" + std::string(s) + (origin.empty() ? "" : " origin=" + std::string(origin)));
}
void ConsoleLog::on_disconnected(const channels::App& a, std::string_view s) {
  line(&a, "disconnected", "socket=" + std::string(s));
}
void ConsoleLog::on_subscribed(const channels::App& a, std::string_view s, std::string_view ch) {
  line(&a, "subscribed", "socket=" + std::string(s) + " channel=" + std::string(ch));
}
void ConsoleLog::on_unsubscribed(const channels::App& a, std::string_view s, std::string_view ch) {
  line(&a, "unsubscribed", "socket=" + std::string(s) + " channel=" + std::string(ch));
}
void ConsoleLog::on_channel_occupied(const channels::App& a, std::string_view ch) {
  if (transitions_) line(&a, "occupied", "channel=" + std::string(ch));
}
void ConsoleLog::on_channel_vacated(const channels::App& a, std::string_view ch) {
  if (transitions_) line(&a, "vacated", "channel=" + std::string(ch));
}
void ConsoleLog::on_member_added(const channels::App& a, std::string_view ch, std::string_view u) {
  if (transitions_) line(&a, "member_added", "channel=" + std::string(ch) + " user=" + std::string(u));
}
void ConsoleLog::on_member_removed(const channels::App& a, std::string_view ch, std::string_view u) {
  if (transitions_) line(&a, "member_removed", "channel=" + std::string(ch) + " user=" + std::string(u));
}
void ConsoleLog::on_client_event(const channels::App& a, std::string_view s, std::string_view ch,
                                 std::string_view event, std::string_view data, std::string_view u) {
  line(&a, "client_event",
       "socket=" + std::string(s) + " channel=" + std::string(ch) + " event=" + std::string(event) +
           (u.empty() ? "" : " user=" + std::string(u)) + " data=" + clip(data));
}
void ConsoleLog::on_api_message(const channels::App& a, std::string_view ch, std::string_view event,
                                std::string_view data) {
  line(&a, "api_message", "channel=" + std::string(ch) + " event=" + std::string(event) + " data=" + clip(data));
}
void ConsoleLog::on_client_error(const channels::App* a, std::string_view s, int code, std::string_view message) {
  line(a, "error", (s.empty() ? std::string() : "socket=" + std::string(s) + " ") + "code=" +
                       std::to_string(code) + " message=" + clip(message));
}

}  // namespace pws::server
