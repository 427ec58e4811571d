#include "webhooks/transport.hpp"

#include <exception>

#include "client/http_client.hpp"

namespace pws::webhooks {

AttemptResult HttpTransport::post(const Delivery& delivery, const std::atomic<bool>& cancel) noexcept {
  try {
    const Endpoint& endpoint = *delivery.endpoint;
    // The registry keeps line breaks out of configured headers, but not out
    // of app keys: a header that could end the line is never written.
    for (const auto& [name, value] : delivery.request->headers)
      if (name.find_first_of("\r\n") != std::string::npos || value.find_first_of("\r\n") != std::string::npos)
        return AttemptResult{false, "header " + name + " holds a line break; not sent"};
    client::TransportOptions options;
    options.timeout = std::chrono::milliseconds(delivery.timeout_ms);
    options.user_agent = "pws-webhooks";
    options.headers = delivery.request->headers;
    options.cancel = &cancel;
    // The client sends exactly "Content-Type: application/json" with a POST,
    // which is what pusher-http-node's verifier insists on (7.1).
    auto response = client::http_request(endpoint.server, "POST", endpoint.target, delivery.request->body, options);
    if (!response) return AttemptResult{false, response.error().message};
    if (response->status >= 200 && response->status < 300) return AttemptResult{true, {}};
    return AttemptResult{false, "HTTP " + std::to_string(response->status)};
  } catch (const std::exception& e) {
    return AttemptResult{false, e.what()};
  } catch (...) {
    return AttemptResult{false, "unexpected error"};
  }
}

}  // namespace pws::webhooks
