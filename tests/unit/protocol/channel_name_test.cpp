// Channel classification (protocol reference 3.1) and name validation (3.2;
// checklist 10.3 #44-#46).
#include <string>

#include <catch2/catch.hpp>

#include "protocol/channel_name.hpp"

using namespace pws;
using namespace pws::protocol;

TEST_CASE("every prefix of table 3.1 classifies to its row", "[protocol][channel_name]") {
  struct Row {
    const char* name;
    ChannelKind kind;
    bool cache;
    bool needs_auth;
    bool client_events;
    bool presence;
  };
  const Row rows[] = {
      {"#server-to-user-42", ChannelKind::ServerToUser, false, false, false, false},        // 1
      {"private-encrypted-cache-x", ChannelKind::PrivateEncrypted, true, true, false, false}, // 2
      {"private-encrypted-payroll", ChannelKind::PrivateEncrypted, false, true, false, false},// 3
      {"private-cache-ticker", ChannelKind::Private, true, true, true, false},               // 4
      {"private-orders.42", ChannelKind::Private, false, true, true, false},                 // 5
      {"presence-cache-room", ChannelKind::Presence, true, true, true, true},                // 6
      {"presence-room-1", ChannelKind::Presence, false, true, true, true},                   // 7
      {"cache-ticker", ChannelKind::Public, true, false, false, false},                      // 8
      {"orders", ChannelKind::Public, false, false, false, false},                           // 9
  };
  for (const Row& r : rows) {
    INFO(r.name);
    const ChannelType t = classify_channel(r.name);
    CHECK(t.kind == r.kind);
    CHECK(t.cache == r.cache);
    CHECK(t.needs_auth() == r.needs_auth);
    CHECK(t.allows_client_events() == r.client_events);
    CHECK(t.is_presence() == r.presence);
    CHECK(t.is_user_channel() == (r.kind == ChannelKind::ServerToUser));
  }
}

TEST_CASE("prefixes need their trailing dash and are case-sensitive (3.1)",
          "[protocol][channel_name]") {
  // "private-cache" without the dash is a private channel named "cache".
  CHECK(classify_channel("private-cache").kind == ChannelKind::Private);
  CHECK_FALSE(classify_channel("private-cache").cache);
  CHECK(classify_channel("private-encrypted").kind == ChannelKind::Private);
  CHECK(classify_channel("private-encryptedx").kind == ChannelKind::Private);
  CHECK(classify_channel("presence-cache").kind == ChannelKind::Presence);
  CHECK_FALSE(classify_channel("presence-cache").cache);
  // Reverb's "cache" without the dash is not a cache channel in pws.
  CHECK_FALSE(classify_channel("cacheticker").cache);
  CHECK(classify_channel("privatechat").kind == ChannelKind::Public);
  CHECK(classify_channel("presencex").kind == ChannelKind::Public);
  CHECK(classify_channel("Private-chat").kind == ChannelKind::Public);
  CHECK(classify_channel("PRESENCE-room").kind == ChannelKind::Public);
  CHECK(classify_channel("Cache-x").kind == ChannelKind::Public);
  CHECK_FALSE(classify_channel("Cache-x").cache);
  CHECK(classify_channel("#server-to-user").kind == ChannelKind::Public);
  CHECK(classify_channel("").kind == ChannelKind::Public);
}

TEST_CASE("valid channel names are accepted (3.2, 10.3 #46)", "[protocol][channel_name]") {
  for (const char* name : {"foo-bar_1234@=,.;", "orders", "private-App.Models.User.1",
                           "presence-room-1", "private-a_b-c=d@e,f.g;h", "x", "A-Z0-9",
                           "#server-to-user-42", "#server-to-user-a_b-c=d@e,f.g;h"}) {
    INFO(name);
    CHECK(check_channel_name(name, 164).valid);
  }
}

TEST_CASE("a space, #foo, a non-ASCII letter or an empty name is InvalidChannelName (10.3 #44)",
          "[protocol][channel_name]") {
  for (const char* name : {"with space", "#foo", "private-\xc3\xa9", "", "a/b", "a:b", "a#b",
                           "a\"b", "a\\b", "tab\tname", "a*b", "a+b", "private-#x", "#", "##",
                           "#server-to-user-", "#server-to-user-4 2", "#server-to-user-#42",
                           "#Server-to-user-42", "#server-to-users-42x y"}) {
    INFO('"' << name << '"');
    const auto check = check_channel_name(name, 164);
    CHECK_FALSE(check.valid);
    CHECK(check.error == Errc::InvalidChannelName);
  }
}

TEST_CASE("165 characters is LimitReached and 164 is accepted (10.3 #45)",
          "[protocol][channel_name]") {
  const std::string ok(164, 'a');
  const std::string long_name(165, 'a');
  CHECK(check_channel_name(ok, 164).valid);
  const auto check = check_channel_name(long_name, 164);
  CHECK_FALSE(check.valid);
  CHECK(check.error == Errc::ChannelNameTooLong);

  SECTION("the limit counts the prefix") {
    const std::string p164 = "private-" + std::string(156, 'b');
    REQUIRE(p164.size() == 164);
    CHECK(check_channel_name(p164, 164).valid);
    CHECK(check_channel_name(p164 + "b", 164).error == Errc::ChannelNameTooLong);
  }
  SECTION("the limit applies to #server-to-user- names too") {
    const std::string user = "#server-to-user-" + std::string(148, '7');
    REQUIRE(user.size() == 164);
    CHECK(check_channel_name(user, 164).valid);
    CHECK(check_channel_name(user + "7", 164).error == Errc::ChannelNameTooLong);
  }
  SECTION("the limit is configurable (max_channel_name_length)") {
    CHECK(check_channel_name(long_name, 200).valid);
    CHECK(check_channel_name(std::string(201, 'a'), 200).error == Errc::ChannelNameTooLong);
    CHECK(check_channel_name("abcd", 3).error == Errc::ChannelNameTooLong);
  }
}

TEST_CASE("server_to_user_id extracts the id of a #server-to-user- channel (2.14)",
          "[protocol][channel_name]") {
  CHECK(server_to_user_id("#server-to-user-42") == "42");
  CHECK(server_to_user_id("#server-to-user-a.b@c") == "a.b@c");
  CHECK(server_to_user_id("#server-to-user-") == "");
  CHECK(server_to_user_id("private-42") == "");
  CHECK(server_to_user_id("server-to-user-42") == "");
}
