// latency_histogram percentiles, result_json formatting, source_pool's
// loopback check and endpoint resolution.
#include <catch2/catch.hpp>

#include "bench/latency_histogram.hpp"
#include "bench/result_json.hpp"
#include "bench/source_pool.hpp"

using namespace pws::bench;

TEST_CASE("LatencyHistogram gives nearest-rank percentiles", "[bench]") {
  LatencyHistogram h;
  CHECK_FALSE(h.percentile(0.5).has_value());
  for (int i = 100; i >= 1; --i) h.add(i);
  CHECK(h.count() == 100);
  CHECK(h.percentile(0.5) == 50);
  CHECK(h.percentile(0.9) == 90);
  CHECK(h.percentile(0.99) == 99);
  CHECK(h.percentile(1.0) == 100);
  CHECK(h.percentile(0.0) == 1);
  h.add(1000);
  CHECK(h.percentile(1.0) == 1000);
}

TEST_CASE("ResultJson keeps key order, fixed decimals and nulls", "[bench]") {
  ResultJson inner;
  inner.add("p50", std::optional<double>(1.5), 3).add("max", std::optional<double>(), 3);
  ResultJson j;
  j.add("scenario", "fanout")
      .add("delivered", std::uint64_t(2000000))
      .add("ratio", std::optional<double>(1.0), 6)
      .add("timed_out", false)
      .add("pid", std::optional<std::int64_t>())
      .add("latency_ms", inner)
      .add("quote", "a\"b\n");
  CHECK(j.text() ==
        R"({"scenario":"fanout","delivered":2000000,"ratio":1.000000,"timed_out":false,"pid":null,)"
        R"("latency_ms":{"p50":1.500,"max":null},"quote":"a\"b\n"})");
  CHECK(ResultJson().text() == "{}");
}

TEST_CASE("only loopback endpoints count as loopback", "[bench]") {
  for (const char* host : {"127.0.0.1", "127.0.0.9", "::1", "localhost"}) {
    INFO(host);
    auto ep = resolve_endpoint(host, 6001);
    REQUIRE(ep);
    CHECK(is_loopback(*ep));
  }
  for (const char* host : {"192.0.2.1", "10.0.0.1", "2001:db8::1"}) {
    INFO(host);
    auto ep = resolve_endpoint(host, 6001);
    REQUIRE(ep);
    CHECK_FALSE(is_loopback(*ep));
  }
  auto ep = resolve_endpoint("127.0.0.1", 6001);
  REQUIRE(ep);
  CHECK(ep->host_header == "127.0.0.1:6001");
  auto v6 = resolve_endpoint("::1", 80);
  REQUIRE(v6);
  CHECK(v6->host_header == "[::1]:80");
}

TEST_CASE("SourcePool spreads only IPv4 loopback targets", "[bench]") {
  auto v4 = resolve_endpoint("127.0.0.1", 6001);
  REQUIRE(v4);
  SourcePool four(*v4, 4);
  CHECK(four.size() == 4);
  CHECK(four.capacity() == 4ull * ephemeral_port_count());
  auto v6 = resolve_endpoint("::1", 6001);
  REQUIRE(v6);
  CHECK(SourcePool(*v6, 4).size() == 1);
  auto remote = resolve_endpoint("192.0.2.1", 6001);
  REQUIRE(remote);
  CHECK(SourcePool(*remote, 4).size() == 1);
}
