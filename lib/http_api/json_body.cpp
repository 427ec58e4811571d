// Request bodies come from the network: parse with the non-throwing overload
// (style guide section 6) and report malformed input as 400.
#include "http_api/json_body.hpp"

#include <boost/json/parse.hpp>

namespace pws::http_api {

Result<boost::json::object> parse_json_object(std::string_view body) {
  boost::json::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec) return make_error(Errc::BadRequest, "Malformed JSON body: " + ec.message());
  if (!value.is_object()) return make_error(Errc::BadRequest, "The JSON body must be an object");
  return std::move(value.get_object());
}

}  // namespace pws::http_api
