#include "webhooks/signed_request.hpp"

#include "crypto/crypto.hpp"

namespace pws::webhooks {

std::string webhook_signature(std::string_view secret, std::string_view body) {
  return crypto::hmac_sha256_hex(secret, body);
}

SignedRequest sign_request(std::string body, std::string_view key, std::string_view secret, const Headers& extra) {
  SignedRequest request;
  request.headers.reserve(2 + extra.size());
  request.headers.emplace_back(kKeyHeader, key);
  request.headers.emplace_back(kSignatureHeader, webhook_signature(secret, body));
  request.headers.insert(request.headers.end(), extra.begin(), extra.end());
  request.body = std::move(body);
  return request;
}

}  // namespace pws::webhooks
