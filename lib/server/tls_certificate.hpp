// Replacing the TLS certificate of a running server (SIGHUP): the new chain
// and key are read and checked against each other completely before the
// listening context is touched, so a half-written or mismatched pair never
// replaces a working one. Connections already established keep the
// certificate they were handshaked with; new handshakes get the new one.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "error/result.hpp"
#include "registry/config.hpp"

namespace pws::server {

/// What was loaded, for the log line.
struct CertificateSummary {
  std::string subject;    ///< e.g. "CN=example.com"
  std::string not_after;  ///< e.g. "Dec 26 10:00:00 2026 GMT"
  int chain_length = 0;   ///< certificates after the leaf
};

/// Reads tls.cert_path (leaf then intermediates, PEM) and tls.key_path (PEM,
/// decrypted with tls.passphrase when set), checks that they match, and
/// installs them in `live`. On any error `live` is left as it was and the
/// error names the file and OpenSSL's reason.
Result<CertificateSummary> replace_certificate(SSL_CTX* live, const registry::TlsConfig& tls);

/// Reads and checks the pair exactly as replace_certificate does, with no
/// server involved: at start a broken pair is refused before lws builds a
/// context around it.
Result<CertificateSummary> check_certificate(const registry::TlsConfig& tls);

/// The TLS 1.2 cipher suites pws offers (TLS 1.3 suites are OpenSSL's, all
/// AEAD): forward-secret AEAD only, the "intermediate" set of Mozilla's
/// server-side TLS guidance.
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

}  // namespace pws::server
