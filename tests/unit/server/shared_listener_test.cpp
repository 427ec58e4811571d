// Several event loops share one port (issue 8): each opens its own
// SO_REUSEPORT listener on it, and a client reaches one of them.
#include "server/shared_listener.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

using namespace pws::server;

TEST_CASE("two listeners share one port, the second bound to the port the first got") {
  auto first = open_shared_listener("127.0.0.1", 0);
  REQUIRE(first);
  const int port = bound_port(*first);
  REQUIRE(port > 0);
  auto second = open_shared_listener("127.0.0.1", port);
  REQUIRE(second);
  CHECK(bound_port(*second) == port);

  const int client = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  pollfd waiting[2] = {{*first, POLLIN, 0}, {*second, POLLIN, 0}};
  REQUIRE(::poll(waiting, 2, 2000) == 1);  // the kernel picked exactly one
  const int listener = (waiting[0].revents & POLLIN) ? *first : *second;
  const int accepted = ::accept(listener, nullptr, nullptr);
  CHECK(accepted >= 0);
  ::close(accepted);
  ::close(client);
  ::close(*first);
  ::close(*second);
}

TEST_CASE("a port held without SO_REUSEPORT is refused with the reason") {
  const int plain = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(plain, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
  REQUIRE(::listen(plain, 1) == 0);
  socklen_t length = sizeof at;
  ::getsockname(plain, reinterpret_cast<sockaddr*>(&at), &length);
  auto refused = open_shared_listener("127.0.0.1", ntohs(at.sin_port));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("in use") != std::string::npos);
  ::close(plain);
}

TEST_CASE("a listen address that is not an address is refused") {
  auto refused = open_shared_listener("not-an-address", 0);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("not an address") != std::string::npos);
}
