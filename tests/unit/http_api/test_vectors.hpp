// Reads the `http_api` section of tests/data/test-vectors.json.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

namespace pws::http_api::test {

inline boost::json::array http_api_vectors() {
  std::ifstream in(std::string(PWS_TEST_DATA_DIR) + "/test-vectors.json");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  boost::json::error_code ec;
  auto doc = boost::json::parse(text.str(), ec);
  REQUIRE_FALSE(ec);
  return doc.at("http_api").as_array();
}

inline std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

}  // namespace pws::http_api::test
