// The one place parley makes TLS client contexts and explains TLS failures: the LiveKit server
// API, the signal WebSocket, the LiveKit health check and the network providers all use it, so
// trust (the system store plus an optional extra CA file or folder), host-name checking and the
// words a failure is reported in are the same everywhere.
//
// Host names are checked by OpenSSL itself (SSL_set1_host, which also takes IP literals), so a
// failed handshake carries the exact reason (unknown CA, wrong name, expired, not yet valid)
// and describe_handshake_failure() can name it with its fix. There is deliberately no switch to
// skip verification: the fix for an untrusted certificate is to trust its CA (ca_file).
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>

#include "core/error.h"

typedef struct ssl_st SSL;

namespace parley::tls {

struct Trust {
  // Extra trusted CAs in PEM: a file (one or more certificates) or a folder of them; "" = only
  // the system store. Always in addition to the system store.
  std::string ca_file;
  // The configuration key that set ca_file ("livekit.ca_file"), named in fixes.
  std::string setting = "livekit.ca_file";
};

// A client context verifying peers against the system store plus trust.ca_file. Contexts are
// cached per ca_file (and its modification time) and shared (an SSL_CTX is safe to share once
// configured). Errors:
// kInvalidArgument when ca_file cannot be read or holds no certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> client_context(const Trust& trust);

// Checks ca_file without making a context: "" when usable, else why not (config validation).
std::string check_ca_file(const std::string& ca_file);

// Before the handshake: the server name (SNI, not for IP literals) and the host to verify.
Result<void> prepare_client(SSL* ssl, const std::string& host);

// True when a handshake failed because the server answered in plain text (an https/wss URL
// aimed at a plain-HTTP port).
bool is_plaintext_reply(const boost::system::error_code& ec);

// The kind of a failed handshake, for callers that react differently (diagnose, tests).
enum class Failure { kNone, kUnknownCa, kHostMismatch, kExpired, kNotYetValid, kPlaintextServer, kOther };
Failure classify_handshake_failure(SSL* ssl, const boost::system::error_code& ec);

// One sentence for a failed handshake with `authority` (host:port): what was wrong and the fix,
// e.g. "the certificate of localhost:7443 is signed by a CA this machine does not trust (unable
// to get local issuer certificate) (fix: set livekit.ca_file to that CA's PEM file, or add it to
// the system store)".
std::string describe_handshake_failure(SSL* ssl, const boost::system::error_code& ec, const std::string& authority,
                                       const std::string& host, const Trust& trust);

// The answer nginx (and other TLS terminators) give a plain HTTP request on a TLS port; used to
// name a ws:// or http:// URL aimed at a TLS port.
bool is_plain_request_to_tls_port(int status, const std::string& body);
std::string plain_request_to_tls_port_message(const std::string& authority);

}  // namespace parley::tls
