#include "core/tls_client.h"

#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace parley::tls {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// Adds every PEM certificate of one file to the store; how many were added.
int load_pem_file(X509_STORE* store, const fs::path& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return 0;
  int added = 0;
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++added;
    X509_free(cert);
  }
  ERR_clear_error();  // the read that ends the loop leaves "no start line" behind
  BIO_free(bio);
  return added;
}

// A folder is read file by file (no c_rehash needed); files that hold no certificate are skipped.
Result<int> load_ca(X509_STORE* store, const std::string& ca_file) {
  std::error_code ec;
  if (fs::is_directory(ca_file, ec)) {
    int added = 0;
    for (const auto& entry : fs::directory_iterator(ca_file, ec)) {
      if (entry.is_regular_file()) added += load_pem_file(store, entry.path());
    }
    if (added == 0) return make_error(ErrorCode::kInvalidArgument, "CA folder " + ca_file + " holds no PEM certificate");
    return added;
  }
  if (!fs::exists(ca_file, ec)) return make_error(ErrorCode::kInvalidArgument, "CA file " + ca_file + " does not exist");
  int added = load_pem_file(store, ca_file);
  if (added == 0) return make_error(ErrorCode::kInvalidArgument, "CA file " + ca_file + " holds no PEM certificate");
  return added;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string asn1_time(const ASN1_TIME* t) {
  if (t == nullptr) return "?";
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

// The names a certificate is valid for (subjectAltName DNS and IP entries).
std::string cert_names(X509* cert) {
  std::string out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    std::string name;
    if (n->type == GEN_DNS) {
      name.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(n->d.dNSName)), ASN1_STRING_length(n->d.dNSName));
    } else if (n->type == GEN_IPADD && ASN1_STRING_length(n->d.iPAddress) == 4) {
      const unsigned char* b = ASN1_STRING_get0_data(n->d.iPAddress);
      name = std::to_string(b[0]) + "." + std::to_string(b[1]) + "." + std::to_string(b[2]) + "." + std::to_string(b[3]);
    }
    if (!name.empty()) out += (out.empty() ? "" : ", ") + name;
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string issuer_of(X509* cert) {
  char buf[256];
  X509_NAME_oneline(X509_get_issuer_name(cert), buf, sizeof buf);
  return buf;
}

// The server's own certificate: after a failed verification OpenSSL has not made it the
// session's peer yet, but the chain it sent is kept.
X509* leaf(SSL* ssl) {
  if (ssl == nullptr) return nullptr;
  if (X509* peer = SSL_get0_peer_certificate(ssl)) return peer;
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain == nullptr || sk_X509_num(chain) == 0) return nullptr;
  return sk_X509_value(chain, 0);
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> client_context(const Trust& trust) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<asio::ssl::context>> cache;
  // Keyed by the file's (or folder's) modification time as well: a renewed CA file is read again
  // by the next connection, and a test that rewrites one at the same path gets a fresh context.
  std::string key = trust.ca_file;
  if (!key.empty()) {
    std::error_code ec;
    auto t = fs::last_write_time(trust.ca_file, ec);
    if (!ec) key += "|" + std::to_string(t.time_since_epoch().count());
  }
  std::lock_guard lock(mutex);
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  ctx->set_default_verify_paths(ec);  // no system store is not fatal: ca_file may be all there is
  if (!trust.ca_file.empty()) {
    auto loaded = load_ca(SSL_CTX_get_cert_store(ctx->native_handle()), trust.ca_file);
    if (!loaded) {
      auto e = loaded.error();
      e.message = trust.setting + ": " + e.message;
      return tl::unexpected(e);
    }
  }
  ctx->set_verify_mode(asio::ssl::verify_peer);
  cache.emplace(key, ctx);
  return ctx;
}

std::string check_ca_file(const std::string& ca_file) {
  if (ca_file.empty()) return "";
  X509_STORE* store = X509_STORE_new();
  auto loaded = load_ca(store, ca_file);
  X509_STORE_free(store);
  return loaded ? "" : loaded.error().message;
}

Result<void> prepare_client(SSL* ssl, const std::string& host) {
  // SNI carries host names only (RFC 6066); an IP literal is verified against IP SANs.
  if (!is_ip_literal(host) && SSL_set_tlsext_host_name(ssl, host.c_str()) != 1) {
    return make_error(ErrorCode::kProtocol, "cannot set the TLS server name " + host);
  }
  if (SSL_set1_host(ssl, host.c_str()) != 1) {
    return make_error(ErrorCode::kProtocol, "cannot set the TLS host name to verify " + host);
  }
  return {};
}

bool is_plaintext_reply(const boost::system::error_code& ec) {
  // A plain-HTTP server answers the ClientHello with "HTTP/1.1 400 …", which OpenSSL reads as a
  // TLS record with an impossible version.
  if (ec.category() != asio::error::get_ssl_category()) return false;
  const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
  return reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST || reason == SSL_R_PACKET_LENGTH_TOO_LONG;
}

Failure classify_handshake_failure(SSL* ssl, const boost::system::error_code& ec) {
  if (!ec) return Failure::kNone;
  if (is_plaintext_reply(ec)) return Failure::kPlaintextServer;
  if (ssl == nullptr) return Failure::kOther;
  switch (SSL_get_verify_result(ssl)) {
    case X509_V_OK: return Failure::kOther;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED: return Failure::kUnknownCa;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: return Failure::kHostMismatch;
    case X509_V_ERR_CERT_HAS_EXPIRED: return Failure::kExpired;
    case X509_V_ERR_CERT_NOT_YET_VALID: return Failure::kNotYetValid;
    default: return Failure::kOther;
  }
}

std::string describe_handshake_failure(SSL* ssl, const boost::system::error_code& ec, const std::string& authority,
                                       const std::string& host, const Trust& trust) {
  const std::string of = "the TLS certificate of " + authority;
  X509* cert = leaf(ssl);
  const long verify = ssl != nullptr ? SSL_get_verify_result(ssl) : X509_V_OK;
  const std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ec.message();
  switch (classify_handshake_failure(ssl, ec)) {
    case Failure::kNone: return "";
    case Failure::kPlaintextServer:
      return "TLS handshake with " + authority +
             " failed: the server answered in plain HTTP, not TLS (fix: use an http:// or ws:// URL for this "
             "server, or point the https:// / wss:// URL at the TLS port of the proxy in front of it)";
    case Failure::kUnknownCa:
      return of + " is signed by a CA this machine does not trust (" + why + (cert ? "; issuer " + issuer_of(cert) : "") +
             ") (fix: set " + trust.setting + " to that CA's PEM file or folder" +
             (trust.ca_file.empty() ? "" : " (now " + trust.ca_file + ", which does not hold it)") +
             ", or add the CA to the system store)";
    case Failure::kHostMismatch:
      return of + " is not valid for the host name '" + host + "'" +
             (cert ? " (it names: " + cert_names(cert) + ")" : "") +
             " (fix: use a URL with a host name the certificate names, or reissue the certificate with '" + host +
             "' in its subjectAltName)";
    case Failure::kExpired:
      return of + " expired" + (cert ? " on " + asn1_time(X509_get0_notAfter(cert)) : "") +
             " (fix: renew the server's certificate; if it is not old, check this machine's clock)";
    case Failure::kNotYetValid:
      return of + " is not valid yet" + (cert ? ": it starts on " + asn1_time(X509_get0_notBefore(cert)) : "") +
             " (fix: check the clocks of this machine and of whoever issued it; or wait until then)";
    case Failure::kOther: break;
  }
  return "TLS handshake with " + authority + " failed: " + why;
}

bool is_plain_request_to_tls_port(int status, const std::string& body) {
  // nginx: "400 The plain HTTP request was sent to HTTPS port"; Go's net/http TLS servers:
  // "Client sent an HTTP request to an HTTPS server."
  return status == 400 && (body.find("plain HTTP request was sent to HTTPS port") != std::string::npos ||
                           body.find("HTTP request to an HTTPS server") != std::string::npos);
}

std::string plain_request_to_tls_port_message(const std::string& authority) {
  return authority + " is a TLS port and answered a plain-HTTP request with 400 (fix: use wss:// (https:// for the "
                     "server API) for this port)";
}

}  // namespace parley::tls
