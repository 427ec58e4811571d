// Writing JSON text by hand on the hot path: a broadcast is serialised once
// with these helpers instead of building a DOM. Pure.
#pragma once

#include <string>
#include <string_view>

namespace pws::protocol {

/// Appends `value` as a JSON string literal (with quotes) to `out`. The input
/// is expected to be UTF-8; control characters, '"' and '\\' are escaped.
void append_json_string(std::string& out, std::string_view value);

/// `value` as a JSON string literal.
std::string json_string(std::string_view value);

}  // namespace pws::protocol
