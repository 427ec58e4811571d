// ws_frame: RFC 6455 client framing, the handshake accept value (RFC 6455
// section 1.3 example) and the benchmark event scan.
#include <catch2/catch.hpp>

#include "bench/ws_frame.hpp"

using namespace pws::bench;

TEST_CASE("websocket_accept gives the RFC 6455 example value", "[bench]") {
  CHECK(websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("a masked client frame decodes back to its payload", "[bench]") {
  for (const std::size_t size : {std::size_t(0), std::size_t(5), std::size_t(125), std::size_t(126),
                                 std::size_t(70000)}) {
    INFO(size);
    const std::string payload(size, 'x');
    std::string frame;
    append_client_frame(frame, kText, payload, 0x12345678u);
    FrameHeader h;
    const auto* bytes = reinterpret_cast<const unsigned char*>(frame.data());
    REQUIRE(parse_frame_header(bytes, frame.size(), h) == HeaderStatus::kComplete);
    CHECK(h.fin);
    CHECK(h.opcode == kText);
    CHECK(h.masked);
    REQUIRE(h.payload_len == size);
    REQUIRE(h.header_len + size == frame.size());
    std::string decoded = frame.substr(h.header_len);
    for (std::size_t i = 0; i < decoded.size(); ++i) decoded[i] ^= static_cast<char>(h.mask[i & 3]);
    CHECK(decoded == payload);
    // Any prefix of the header is incomplete, never invalid.
    for (std::size_t cut = 0; cut < h.header_len; ++cut)
      CHECK(parse_frame_header(bytes, cut, h) == HeaderStatus::kIncomplete);
  }
}

TEST_CASE("frame headers with reserved bits or long control frames are invalid", "[bench]") {
  FrameHeader h;
  const unsigned char rsv[] = {0xC1, 0x00};  // RSV1: no extension was negotiated
  CHECK(parse_frame_header(rsv, sizeof rsv, h) == HeaderStatus::kInvalid);
  const unsigned char long_ping[] = {0x89, 126, 0x00, 0x80};
  CHECK(parse_frame_header(long_ping, sizeof long_ping, h) == HeaderStatus::kInvalid);
  const unsigned char fragmented_close[] = {0x08, 0x00};
  CHECK(parse_frame_header(fragmented_close, sizeof fragmented_close, h) == HeaderStatus::kInvalid);
}

TEST_CASE("find_bench_event reads seq and t in the escaped and the plain spelling", "[bench]") {
  std::uint64_t seq = 0;
  std::int64_t t = 0;
  REQUIRE(find_bench_event(R"({"event":"bench","channel":"bench-0","data":"{\"seq\":42,\"t\":123456789}"})", seq, t));
  CHECK(seq == 42);
  CHECK(t == 123456789);
  REQUIRE(find_bench_event(R"({"data":{"seq":7,"t":99}})", seq, t));
  CHECK(seq == 7);
  CHECK(t == 99);
  CHECK_FALSE(find_bench_event(R"({"event":"pusher:pong","data":{}})", seq, t));
  CHECK_FALSE(find_bench_event(R"({"event":"sequence","data":"x"})", seq, t));
}
