// Statistics of several cluster nodes summed per minute (issue 7).
#include <catch2/catch.hpp>

#include "stats/cluster_totals.hpp"

using namespace pws::stats;

namespace {

Snapshot row(std::int64_t time_ms, std::int64_t peak, std::int64_t ws, std::int64_t api, std::string node) {
  return Snapshot{"1001", time_ms, peak, ws, api, std::move(node)};
}

}  // namespace

TEST_CASE("one node's rows have no cluster totals", "[stats][cluster]") {
  CHECK(cluster_totals({row(60'000, 5, 1, 1, ""), row(120'000, 5, 1, 1, "")}).empty());
  CHECK(cluster_totals({row(60'000, 5, 1, 1, "a"), row(120'000, 5, 1, 1, "a")}).empty());
}

TEST_CASE("nodes' rows of the same minute add up; a node's own rows of a minute take the highest peak",
          "[stats][cluster]") {
  const auto totals = cluster_totals({
      row(60'000 + 10'000, 10, 100, 1, "a"),
      row(60'000 + 40'000, 12, 50, 2, "a"),   // a again in the same minute (10 s interval, say)
      row(60'000 + 30'000, 7, 20, 4, "b"),
      row(120'000 + 5'000, 3, 1, 0, "b"),
  });
  REQUIRE(totals.size() == 2);
  CHECK(totals[0].minute_ms == 60'000);
  CHECK(totals[0].peak_connections == 12 + 7);
  CHECK(totals[0].websocket_messages == 170);
  CHECK(totals[0].api_messages == 7);
  CHECK(totals[0].nodes == 2);
  CHECK(totals[1].minute_ms == 120'000);
  CHECK(totals[1].peak_connections == 3);
  CHECK(totals[1].nodes == 1);
}
