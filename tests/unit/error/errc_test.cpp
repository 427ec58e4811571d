// The error table (lib/error/errc.cpp) against the protocol reference:
// close / error codes of section 2.10, subscription_error types and statuses
// of section 2.5, HTTP statuses of section 5.1; and Result<T>.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "error/errc.hpp"
#include "error/result.hpp"

using namespace pws;

namespace {

/// Every enumerator, in declaration order.
std::vector<Errc> all_errcs() {
  std::vector<Errc> out;
  for (int i = 0; i <= static_cast<int>(Errc::Unreachable); ++i) out.push_back(static_cast<Errc>(i));
  return out;
}

/// The errors that end with a close frame (section 2.10 "Closes? yes").
std::vector<Errc> closing_errcs() {
  std::vector<Errc> out;
  for (int i = static_cast<int>(Errc::TlsRequired); i <= static_cast<int>(Errc::PongTimeout); ++i)
    out.push_back(static_cast<Errc>(i));
  return out;
}

}  // namespace

TEST_CASE("connection-level errors carry the documented Pusher codes (2.10)", "[error]") {
  CHECK(info(Errc::TlsRequired).code == 4000);
  CHECK(info(Errc::AppNotFound).code == 4001);
  CHECK(info(Errc::AppDisabled).code == 4003);
  CHECK(info(Errc::OverQuota).code == 4004);
  CHECK(info(Errc::PathNotFound).code == 4005);
  CHECK(info(Errc::UnsupportedProtocol).code == 4007);
  CHECK(info(Errc::NoProtocol).code == 4008);
  CHECK(info(Errc::Unauthorized).code == 4009);
  CHECK(info(Errc::OverCapacity).code == 4100);
  CHECK(info(Errc::Reconnect).code == 4200);
  CHECK(info(Errc::PongTimeout).code == 4201);
  CHECK(info(Errc::MessageTooBig).code == 1009);
}

TEST_CASE("errors that keep the connection open use 4301, 4302, 4009 or a null code (1.9, 2.9, 2.15)",
          "[error]") {
  CHECK(info(Errc::InvalidMessage).code == 0);  // encoded as "code":null
  CHECK(info(Errc::ClientEventRejected).code == 4301);
  CHECK(info(Errc::ClientEventForbidden).code == 4009);
  CHECK(info(Errc::WatchlistTooLarge).code == 4302);
}

TEST_CASE("subscription errors have the type and status of the 2.5 table", "[error]") {
  struct Row {
    Errc e;
    std::string_view type;
    int status;
  };
  const Row rows[] = {
      {Errc::AuthError, "AuthError", 401},
      {Errc::InvalidChannelName, "InvalidChannelName", 4009},
      {Errc::ChannelNameTooLong, "LimitReached", 4009},
      {Errc::PresenceFull, "LimitReached", 4100},
      {Errc::MemberTooLarge, "LimitReached", 4301},
      {Errc::TooManySubscriptions, "LimitReached", 4100},
  };
  for (const Row& r : rows) {
    INFO("Errc #" << static_cast<int>(r.e));
    CHECK(info(r.e).subscription_type == r.type);
    CHECK(info(r.e).subscription_status == r.status);
  }
}

TEST_CASE("only subscription errors have a subscription_error type", "[error]") {
  for (Errc e : all_errcs()) {
    const bool is_subscription = e >= Errc::AuthError && e <= Errc::TooManySubscriptions;
    INFO("Errc #" << static_cast<int>(e));
    CHECK(info(e).subscription_type.empty() == !is_subscription);
  }
}

TEST_CASE("HTTP API errors map to the statuses of section 5.1", "[error][http]") {
  CHECK(info(Errc::BadRequest).http_status == 400);
  CHECK(info(Errc::AuthFailed).http_status == 401);
  CHECK(info(Errc::Forbidden).http_status == 403);
  CHECK(info(Errc::NotFound).http_status == 404);
  CHECK(info(Errc::MethodNotAllowed).http_status == 405);
  CHECK(info(Errc::PayloadTooLarge).http_status == 413);
  CHECK(info(Errc::RequestTooLarge).http_status == 413);
  CHECK(info(Errc::RateLimited).http_status == 429);
  CHECK(info(Errc::Internal).http_status == 500);
  // Section 5.1: unknown app id 404, disabled app 403.
  CHECK(info(Errc::AppNotFound).http_status == 404);
  CHECK(info(Errc::AppDisabled).http_status == 403);
}

TEST_CASE("every error has a default message and a plausible HTTP status", "[error]") {
  for (Errc e : all_errcs()) {
    INFO("Errc #" << static_cast<int>(e));
    CHECK_FALSE(info(e).message.empty());
    CHECK(info(e).http_status >= 400);
    CHECK(info(e).http_status <= 599);
  }
}

TEST_CASE("no error that closes the connection uses a code in 4300-4399 (10.1 #17)", "[error]") {
  for (Errc e : closing_errcs()) {
    INFO("Errc #" << static_cast<int>(e));
    const int code = info(e).code;
    CHECK(code >= 4000);
    CHECK(code < 4300);
  }
  // The close code of an oversized message is the WebSocket one, not a 43xx.
  CHECK(info(Errc::MessageTooBig).code < 4000);
}

TEST_CASE("make_error takes the table message unless one is given", "[error]") {
  const Error plain = make_error(Errc::AppNotFound);
  CHECK(plain.code == Errc::AppNotFound);
  CHECK(plain.message == "Application does not exist");
  const Error custom = make_error(Errc::BadRequest, "channels must be an array");
  CHECK(custom.code == Errc::BadRequest);
  CHECK(custom.message == "channels must be an array");
}

TEST_CASE("Result holds either a value or an error", "[error][result]") {
  SECTION("value") {
    Result<std::string> r(std::string("hello"));
    REQUIRE(r.ok());
    REQUIRE(static_cast<bool>(r));
    CHECK(*r == "hello");
    CHECK(r->size() == 5);
    CHECK(std::move(r).value() == "hello");
  }
  SECTION("error") {
    Result<std::string> r(make_error(Errc::NotFound, "no such channel"));
    REQUIRE_FALSE(r.ok());
    REQUIRE_FALSE(static_cast<bool>(r));
    CHECK(r.error().code == Errc::NotFound);
    CHECK(r.error().message == "no such channel");
  }
  SECTION("Status") {
    Status ok = Ok{};
    CHECK(ok.ok());
    Status bad = make_error(Errc::Io);
    CHECK_FALSE(bad.ok());
    CHECK(bad.error().code == Errc::Io);
  }
}
