// Reading a request body as a JSON object without exceptions.
#pragma once

#include <string_view>

#include <boost/json/object.hpp>

#include "error/result.hpp"

namespace pws::http_api {

/// The body parsed as a JSON object. Errc::BadRequest for malformed JSON or
/// a value that is not an object.
Result<boost::json::object> parse_json_object(std::string_view body);

}  // namespace pws::http_api
