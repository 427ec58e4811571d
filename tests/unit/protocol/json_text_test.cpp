// Hand-written JSON string literals (json_text.hpp): escaping and UTF-8
// passthrough. Every output must also parse back to the input.
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "protocol/json_text.hpp"

using namespace pws::protocol;

namespace {

std::string round_trip(const std::string& literal) {
  return std::string(boost::json::parse(literal).as_string());
}

}  // namespace

TEST_CASE("plain text is quoted unchanged", "[protocol][json_text]") {
  CHECK(json_string("") == R"("")");
  CHECK(json_string("orders") == R"("orders")");
  CHECK(json_string("foo-bar_1234@=,.;") == R"("foo-bar_1234@=,.;")");
  CHECK(json_string("a/b") == R"("a/b")");  // '/' needs no escape
}

TEST_CASE("quotes and backslashes are escaped", "[protocol][json_text]") {
  CHECK(json_string(R"(say "hi")") == R"("say \"hi\"")");
  CHECK(json_string(R"(a\b)") == R"("a\\b")");
  CHECK(json_string(R"({"id":42})") == R"("{\"id\":42}")");
  CHECK(json_string(R"(\")") == R"("\\\"")");
}

TEST_CASE("a Laravel event class name keeps its backslashes as JSON escapes (2.8)",
          "[protocol][json_text]") {
  const std::string name = R"(App\Events\OrderShipped)";
  CHECK(json_string(name) == R"("App\\Events\\OrderShipped")");
  CHECK(round_trip(json_string(name)) == name);
}

TEST_CASE("control characters are escaped", "[protocol][json_text]") {
  CHECK(json_string("\n") == R"("\n")");
  CHECK(json_string("\r") == R"("\r")");
  CHECK(json_string("\t") == R"("\t")");
  CHECK(json_string("\b") == R"("\b")");
  CHECK(json_string("\f") == R"("\f")");
  CHECK(json_string(std::string(1, '\0')) == R"("\u0000")");
  CHECK(json_string("\x01") == R"("\u0001")");
  CHECK(json_string("\x1f") == R"("\u001f")");
  CHECK(json_string("a\x1b[0mb") == R"("a\u001b[0mb")");
  // 0x20 and above are not control characters.
  CHECK(json_string(" ") == R"(" ")");
  CHECK(json_string("\x7f") == "\"\x7f\"");

  std::string every_control;
  for (int c = 0; c < 0x20; ++c) every_control.push_back(static_cast<char>(c));
  const std::string literal = json_string(every_control);
  for (char c : literal) CHECK(static_cast<unsigned char>(c) >= 0x20);
  CHECK(round_trip(literal) == every_control);
}

TEST_CASE("UTF-8 passes through unescaped", "[protocol][json_text]") {
  const std::string text = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";  // café € 😀
  CHECK(json_string(text) == "\"" + text + "\"");
  CHECK(round_trip(json_string(text)) == text);
}

TEST_CASE("append_json_string appends to what is already there", "[protocol][json_text]") {
  std::string out = R"({"event":)";
  append_json_string(out, "x\"y");
  append_json_string(out, "");
  CHECK(out == R"({"event":"x\"y""")");
}

TEST_CASE("mixed text round-trips through a JSON parser", "[protocol][json_text]") {
  const std::string text = "line1\nline2\t\"quoted\" \\ back \x02 end \xc3\xa9";
  CHECK(round_trip(json_string(text)) == text);
}
