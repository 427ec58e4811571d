// Embedding pws as a library: a Pusher-compatible server that also serves a
// tiny chat room at ws://host:port/chat, the way laravel-websockets lets an
// app register its own handler with WebSocketsRouter::webSocket().
//
//   pws_example_chat [--config pws.toml] [--port 6001]
//
// Every text message a /chat client sends is relayed to all /chat clients
// as {"from":<id>,"text":<message>}; a client gets {"welcome":<id>} first.
// The Pusher endpoint /app/{key} and the HTTP API work as in `pws serve`.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "protocol/json_text.hpp"
#include "registry/config.hpp"
#include "server/server.hpp"

namespace {

class ChatRoom final : public pws::server::WebSocketHandler {
 public:
  void on_open(pws::server::WebSocket& socket) override {
    members_[socket.id()] = &socket;
    socket.send("{\"welcome\":" + std::to_string(socket.id() % 1000000) + "}");
  }
  void on_message(pws::server::WebSocket& socket, std::string_view text) override {
    std::string message = "{\"from\":" + std::to_string(socket.id() % 1000000) + ",\"text\":";
    pws::protocol::append_json_string(message, text);
    message += "}";
    for (auto& [id, member] : members_) member->send(message);
  }
  void on_close(pws::server::WebSocket& socket, int) override { members_.erase(socket.id()); }
  void on_error(pws::server::WebSocket& socket, std::string_view what) override {
    std::fprintf(stderr, "chat: socket %llu: %.*s\n", static_cast<unsigned long long>(socket.id()),
                 static_cast<int>(what.size()), what.data());
  }

 private:
  std::map<std::uint64_t, pws::server::WebSocket*> members_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  int port = 6001;
  std::string host = "127.0.0.1";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--config")) config_path = argv[i + 1];
    else if (!std::strcmp(argv[i], "--port")) port = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--host")) host = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--config pws.toml] [--host 127.0.0.1] [--port 6001]\n", argv[0]);
      return 2;
    }
  }

  pws::registry::Config config;
  if (!config_path.empty()) {
    auto loaded = pws::registry::load_config(config_path);
    if (!loaded) {
      std::fprintf(stderr, "chat: %s\n", loaded.error().message.c_str());
      return 1;
    }
    config = std::move(loaded.value());
  } else {
    pws::channels::App app;
    app.id = "1001";
    app.key = "pws-key";
    app.secret = "pws-secret";
    app.enable_client_messages = true;
    config.apps.push_back(app);
  }
  config.server.host = host;
  config.server.port = port;

  pws::server::Server server(std::move(config));
  server.add_websocket_route("/chat", std::make_shared<ChatRoom>());
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "chat: %s\n", started.error().message.c_str());
    return 1;
  }
  return server.run();
}
