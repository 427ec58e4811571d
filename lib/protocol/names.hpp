// Every wire string of the Pusher protocol, in one place. Nothing else in pws
// spells an event name or a channel prefix.
#pragma once

#include <string_view>

namespace pws::protocol::names {

// Client -> server
inline constexpr std::string_view kSubscribe = "pusher:subscribe";
inline constexpr std::string_view kUnsubscribe = "pusher:unsubscribe";
inline constexpr std::string_view kPing = "pusher:ping";
inline constexpr std::string_view kPong = "pusher:pong";
inline constexpr std::string_view kSignin = "pusher:signin";

// Server -> client
inline constexpr std::string_view kConnectionEstablished = "pusher:connection_established";
inline constexpr std::string_view kError = "pusher:error";
inline constexpr std::string_view kSubscriptionError = "pusher:subscription_error";
inline constexpr std::string_view kSubscriptionSucceeded = "pusher_internal:subscription_succeeded";
inline constexpr std::string_view kMemberAdded = "pusher_internal:member_added";
inline constexpr std::string_view kMemberRemoved = "pusher_internal:member_removed";
inline constexpr std::string_view kSubscriptionCount = "pusher_internal:subscription_count";
inline constexpr std::string_view kCacheMiss = "pusher:cache_miss";
inline constexpr std::string_view kSigninSuccess = "pusher:signin_success";
inline constexpr std::string_view kWatchlistEvents = "pusher_internal:watchlist_events";

// Event name prefixes
inline constexpr std::string_view kPusherPrefix = "pusher:";
inline constexpr std::string_view kInternalPrefix = "pusher_internal:";
inline constexpr std::string_view kClientPrefix = "client-";

// Channel prefixes, in the order they must be tested (section 3.1).
inline constexpr std::string_view kServerToUserPrefix = "#server-to-user-";
inline constexpr std::string_view kPrivateEncryptedCachePrefix = "private-encrypted-cache-";
inline constexpr std::string_view kPrivateEncryptedPrefix = "private-encrypted-";
inline constexpr std::string_view kPrivateCachePrefix = "private-cache-";
inline constexpr std::string_view kPrivatePrefix = "private-";
inline constexpr std::string_view kPresenceCachePrefix = "presence-cache-";
inline constexpr std::string_view kPresencePrefix = "presence-";
inline constexpr std::string_view kCachePrefix = "cache-";

}  // namespace pws::protocol::names
