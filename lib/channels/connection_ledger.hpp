// ConnectionLedger: the connections of every hub of one process, by app, for
// the connection limits and the connection figures (current and peak) when
// the process runs several event loops (each with its own hub). A place is taken under one lock before the connection
// is admitted, so two loops can never both take the last one; the lock is
// taken once per connect and once per close, never per message.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace pws::channels {

class ConnectionLedger {
 public:
  enum class Admission { Admitted, AppFull, ServerFull };

  /// Takes a place for a connection of `app_id` unless the app already has
  /// `app_limit` or the process `server_limit` (-1 = no limit).
  Admission admit(std::string_view app_id, std::int64_t app_limit, std::int64_t server_limit);
  /// Gives back the place of a connection admitted before.
  void release(std::string_view app_id);
  std::int64_t connections(std::string_view app_id) const;
  std::int64_t total() const;
  /// The most the app had open at once since the last call (statistics),
  /// which starts the next period at the number open now.
  std::int64_t take_peak(std::string_view app_id);

 private:
  struct Open {
    std::int64_t now = 0;
    std::int64_t peak = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Open> by_app_;  // apps ever admitted
  std::int64_t total_ = 0;
};

}  // namespace pws::channels
