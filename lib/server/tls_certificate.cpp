#include "server/tls_certificate.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <memory>

namespace pws::server {

namespace {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct ChainFree {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};

/// OpenSSL's most recent error as text, clearing the queue.
std::string openssl_reason() {
  const unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Error failure(const std::string& what, const std::string& path) {
  return Error{Errc::Io, "cannot " + what + " " + path + ": " + openssl_reason()};
}

int passphrase_callback(char* buffer, int size, int, void* userdata) {
  const auto* passphrase = static_cast<const std::string*>(userdata);
  if (!passphrase || passphrase->empty() || static_cast<int>(passphrase->size()) > size) return 0;
  std::copy(passphrase->begin(), passphrase->end(), buffer);
  return static_cast<int>(passphrase->size());
}

std::string name_text(const X509_NAME* name) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

std::string time_text(const ASN1_TIME* time) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), time) != 1) return {};
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

}  // namespace

Result<CertificateSummary> replace_certificate(SSL_CTX* live, const registry::TlsConfig& tls) {
  if (live == nullptr) return make_error(Errc::Io, "TLS is not active in this server");
  ERR_clear_error();

  std::unique_ptr<BIO, BioFree> cert_file(BIO_new_file(tls.cert_path.c_str(), "r"));
  if (!cert_file) return failure("open certificate", tls.cert_path);
  std::unique_ptr<X509, X509Free> leaf(PEM_read_bio_X509_AUX(cert_file.get(), nullptr, nullptr, nullptr));
  if (!leaf) return failure("read a certificate from", tls.cert_path);
  std::unique_ptr<STACK_OF(X509), ChainFree> chain(sk_X509_new_null());
  while (X509* next = PEM_read_bio_X509(cert_file.get(), nullptr, nullptr, nullptr)) sk_X509_push(chain.get(), next);
  ERR_clear_error();  // the loop ends on "no start line"

  std::unique_ptr<BIO, BioFree> key_file(BIO_new_file(tls.key_path.c_str(), "r"));
  if (!key_file) return failure("open private key", tls.key_path);
  std::string passphrase = tls.passphrase;
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(key_file.get(), nullptr, passphrase_callback, &passphrase));
  if (!key) return failure("read the private key (wrong passphrase?) from", tls.key_path);
  if (X509_check_private_key(leaf.get(), key.get()) != 1)
    return failure("use " + tls.key_path + " with", tls.cert_path);

  // One call replaces leaf, key and chain together (override = 1).
  if (SSL_CTX_use_cert_and_key(live, leaf.get(), key.get(), chain.get(), 1) != 1)
    return failure("install the certificate from", tls.cert_path);

  CertificateSummary summary;
  summary.subject = name_text(X509_get_subject_name(leaf.get()));
  summary.not_after = time_text(X509_get0_notAfter(leaf.get()));
  summary.chain_length = sk_X509_num(chain.get());
  return summary;
}

Result<CertificateSummary> check_certificate(const registry::TlsConfig& tls) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> scratch(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!scratch) return make_error(Errc::Io, "cannot create a TLS context");
  return replace_certificate(scratch.get(), tls);
}

}  // namespace pws::server
