#include "livekit/rtc/dtls_transport.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mutex>

#include "core/log.h"

namespace parley::rtc {

namespace {

// OpenSSL's thread-local error queue as one message (and emptied).
std::string openssl_errors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

Error dtls_error(ErrorCode code, const std::string& what) { return Error(code, "DTLS: " + what); }

// The write side of the SSL object: each BIO_write is one datagram, handed to the transport.
int bio_write(BIO* bio, const char* data, int len) {
  auto* t = static_cast<DtlsTransport*>(BIO_get_data(bio));
  if (t != nullptr && len > 0) t->emit({reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(len)});
  return len;
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return DtlsTransport::kMtu;
    case BIO_CTRL_WPENDING:
    case BIO_CTRL_PENDING:
      return 0;
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  BIO_set_data(bio, nullptr);
  return 1;
}

int bio_destroy(BIO* bio) {
  BIO_set_data(bio, nullptr);
  return 1;
}

BIO_METHOD* write_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "parley dtls datagram");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

int accept_any_certificate(int, X509_STORE_CTX*) {
  // WebRTC certificates are self-signed; trust comes from the SDP fingerprint, checked after
  // the handshake before anything is used.
  return 1;
}

const EVP_MD* digest_for(const std::string& algorithm) {
  if (algorithm == "sha-1") return EVP_sha1();
  if (algorithm == "sha-224") return EVP_sha224();
  if (algorithm == "sha-256") return EVP_sha256();
  if (algorithm == "sha-384") return EVP_sha384();
  if (algorithm == "sha-512") return EVP_sha512();
  return nullptr;
}

}  // namespace

Result<std::vector<uint8_t>> certificate_digest(X509* cert, const std::string& algorithm) {
  const EVP_MD* md = digest_for(algorithm);
  if (md == nullptr) return make_error(ErrorCode::kInvalidArgument, "DTLS: unsupported fingerprint hash " + algorithm);
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, md, buf, &len) != 1) return tl::unexpected(dtls_error(ErrorCode::kInternal, openssl_errors()));
  return std::vector<uint8_t>(buf, buf + len);
}

Result<std::shared_ptr<DtlsCertificate>> DtlsCertificate::generate() {
  ERR_clear_error();
  std::shared_ptr<DtlsCertificate> c(new DtlsCertificate());
  c->key_ = EVP_EC_gen("P-256");
  if (c->key_ == nullptr) return tl::unexpected(dtls_error(ErrorCode::kInternal, "key generation: " + openssl_errors()));
  c->x509_ = X509_new();
  X509* x = c->x509_;
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial));
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial >> 1);
  X509_set_version(x, 2);
  // Valid from a day ago (clock skew) for 30 days: a certificate lives as long as a process.
  X509_gmtime_adj(X509_getm_notBefore(x), -86400L);
  X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400L);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("parley"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  if (X509_set_pubkey(x, c->key_) != 1 || X509_sign(x, c->key_, EVP_sha256()) == 0) {
    return tl::unexpected(dtls_error(ErrorCode::kInternal, "certificate signing: " + openssl_errors()));
  }
  auto digest = certificate_digest(x, "sha-256");
  if (!digest) return tl::unexpected(digest.error());
  c->fingerprint_.algorithm = "sha-256";
  c->fingerprint_.digest = std::move(*digest);
  return c;
}

DtlsCertificate::~DtlsCertificate() {
  X509_free(x509_);
  EVP_PKEY_free(key_);
}

DtlsTransport::DtlsTransport(EventLoop& loop, DtlsRole role, Fingerprint remote, Callbacks callbacks, log::Logger logger)
    : log_(std::move(logger)),
      loop_(loop), role_(role), remote_fingerprint_(std::move(remote)), callbacks_(std::move(callbacks)) {}

Result<std::unique_ptr<DtlsTransport>> DtlsTransport::create(EventLoop& loop, std::shared_ptr<DtlsCertificate> cert,
                                                             DtlsRole role, Fingerprint remote_fingerprint,
                                                             Callbacks callbacks, log::Logger logger) {
  if (!cert) return make_error(ErrorCode::kInvalidArgument, "DTLS: no certificate");
  if (digest_for(remote_fingerprint.algorithm) == nullptr || remote_fingerprint.digest.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "DTLS: the remote fingerprint is missing or uses an unknown hash");
  }
  ERR_clear_error();
  std::unique_ptr<DtlsTransport> t(new DtlsTransport(loop, role, std::move(remote_fingerprint), std::move(callbacks), std::move(logger)));
  t->cert_ = std::move(cert);
  t->ctx_ = SSL_CTX_new(DTLS_method());
  if (t->ctx_ == nullptr) return tl::unexpected(dtls_error(ErrorCode::kInternal, openssl_errors()));
  SSL_CTX_set_min_proto_version(t->ctx_, DTLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(t->ctx_, DTLS1_2_VERSION);
  SSL_CTX_set_verify(t->ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_certificate);
  SSL_CTX_set_read_ahead(t->ctx_, 1);
  // AEAD first: it is what pion and libwebrtc pick when offered (webrtc-notes.md).
  // SSL_CTX_set_tlsext_use_srtp returns 0 on success.
  if (SSL_CTX_set_tlsext_use_srtp(t->ctx_, "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0 ||
      SSL_CTX_use_certificate(t->ctx_, t->cert_->x509()) != 1 ||
      SSL_CTX_use_PrivateKey(t->ctx_, t->cert_->key()) != 1 ||
      SSL_CTX_set_cipher_list(t->ctx_, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                                       "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
                                       "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
    return tl::unexpected(dtls_error(ErrorCode::kInternal, "context setup: " + openssl_errors()));
  }
  t->ssl_ = SSL_new(t->ctx_);
  if (t->ssl_ == nullptr) return tl::unexpected(dtls_error(ErrorCode::kInternal, openssl_errors()));
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio, -1);
  BIO* wbio = BIO_new(write_bio_method());
  BIO_set_data(wbio, t.get());
  SSL_set_bio(t->ssl_, rbio, wbio);
  SSL_set_options(t->ssl_, SSL_OP_NO_QUERY_MTU);
  DTLS_set_link_mtu(t->ssl_, kMtu);
  SSL_set_mtu(t->ssl_, kMtu);
  if (role == DtlsRole::kClient) {
    SSL_set_connect_state(t->ssl_);
  } else {
    SSL_set_accept_state(t->ssl_);
  }
  return t;
}

DtlsTransport::~DtlsTransport() {
  *alive_ = false;
  retransmit_timer_.cancel();
  handshake_deadline_.cancel();
  if (ssl_) {
    BIO_set_data(SSL_get_wbio(ssl_), nullptr);
    SSL_free(ssl_);
  }
  if (ctx_) SSL_CTX_free(ctx_);
}

void DtlsTransport::emit(std::span<const uint8_t> datagram) {
  if (callbacks_.send) callbacks_.send(datagram);
}

void DtlsTransport::start(std::chrono::milliseconds timeout) {
  if (state_ != State::kNew) return;
  state_ = State::kHandshaking;
  std::weak_ptr<bool> alive = alive_;
  handshake_deadline_ = loop_.post_after(timeout, [this, alive] {
    if (alive.expired() || state_ != State::kHandshaking) return;
    fail(dtls_error(ErrorCode::kTimeout, "handshake did not finish in time"));
  });
  drive_handshake();
  auto early = std::move(early_);
  early_.clear();
  for (auto& d : early) {
    if (state_ != State::kHandshaking && state_ != State::kConnected) break;
    receive(d);
  }
}

void DtlsTransport::receive(std::span<const uint8_t> datagram) {
  if (state_ == State::kNew) {
    if (early_.size() < 16) early_.emplace_back(datagram.begin(), datagram.end());
    return;
  }
  if (state_ != State::kHandshaking && state_ != State::kConnected) return;
  if (datagram.empty() || datagram.size() > 65535) return;
  BIO_write(SSL_get_rbio(ssl_), datagram.data(), static_cast<int>(datagram.size()));
  if (state_ == State::kHandshaking) {
    drive_handshake();
  }
  if (state_ == State::kConnected) read_application_data();
  // Never leave unread bytes behind: the next datagram must start a fresh read.
  if (ssl_ && state_ != State::kConnected) (void)BIO_reset(SSL_get_rbio(ssl_));
}

void DtlsTransport::drive_handshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    retransmit_timer_.cancel();
    handshake_deadline_.cancel();
    X509* peer = SSL_get1_peer_certificate(ssl_);
    if (peer == nullptr) return fail(dtls_error(ErrorCode::kUnauthenticated, "the peer sent no certificate"));
    auto digest = certificate_digest(peer, remote_fingerprint_.algorithm);
    X509_free(peer);
    if (!digest || digest->size() != remote_fingerprint_.digest.size() ||
        CRYPTO_memcmp(digest->data(), remote_fingerprint_.digest.data(), digest->size()) != 0) {
      return fail(dtls_error(ErrorCode::kUnauthenticated,
                             "the peer's certificate does not match the a=fingerprint of its SDP"));
    }
    if (SSL_get_selected_srtp_profile(ssl_) == nullptr) {
      return fail(dtls_error(ErrorCode::kProtocol, "the peer negotiated no SRTP protection profile (use_srtp)"));
    }
    state_ = State::kConnected;
    if (callbacks_.on_connected) callbacks_.on_connected();
    return;
  }
  const int err = SSL_get_error(ssl_, rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
    schedule_retransmit();
    return;
  }
  fail(dtls_error(ErrorCode::kProtocol, "handshake failed: " + openssl_errors()));
}

void DtlsTransport::schedule_retransmit() {
  timeval tv{};
  if (DTLSv1_get_timeout(ssl_, &tv) != 1) return;
  const auto ms = std::chrono::milliseconds(tv.tv_sec * 1000 + tv.tv_usec / 1000 + 1);
  std::weak_ptr<bool> alive = alive_;
  retransmit_timer_ = loop_.post_after(ms, [this, alive] {
    if (alive.expired() || state_ != State::kHandshaking) return;
    ERR_clear_error();
    if (DTLSv1_handle_timeout(ssl_) < 0) return fail(dtls_error(ErrorCode::kTimeout, "retransmission failed: " + openssl_errors()));
    schedule_retransmit();
  });
}

void DtlsTransport::read_application_data() {
  std::vector<uint8_t> buf(65536);
  std::weak_ptr<bool> alive = alive_;
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (n > 0) {
      if (callbacks_.on_data) callbacks_.on_data({buf.data(), static_cast<size_t>(n)});
      if (alive.expired() || state_ != State::kConnected) return;
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
    if (err == SSL_ERROR_ZERO_RETURN) {
      state_ = State::kClosed;
      if (callbacks_.on_closed) callbacks_.on_closed();
      return;
    }
    // A corrupt record after the handshake: drop it (DTLS discards bad records, RFC 6347 4.1.2.7).
    log_.debug("dtls: dropped a record", {{"error", openssl_errors()}});
    (void)BIO_reset(SSL_get_rbio(ssl_));
    return;
  }
}

Status DtlsTransport::send(std::span<const uint8_t> data) {
  if (state_ != State::kConnected) return make_error(ErrorCode::kUnavailable, "DTLS: not connected", true);
  if (data.empty() || data.size() > 16384) return make_error(ErrorCode::kInvalidArgument, "DTLS: record size out of range");
  ERR_clear_error();
  const int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  if (n != static_cast<int>(data.size())) return tl::unexpected(dtls_error(ErrorCode::kUnavailable, "write failed: " + openssl_errors()));
  return {};
}

Result<SrtpKeys> DtlsTransport::srtp_keys() const {
  if (state_ != State::kConnected) return make_error(ErrorCode::kUnavailable, "DTLS: not connected");
  const SRTP_PROTECTION_PROFILE* p = SSL_get_selected_srtp_profile(ssl_);
  if (p == nullptr) return make_error(ErrorCode::kProtocol, "DTLS: no SRTP profile");
  SrtpProfile profile;
  if (p->id == SRTP_AEAD_AES_128_GCM) {
    profile = SrtpProfile::kAeadAes128Gcm;
  } else if (p->id == SRTP_AES128_CM_SHA1_80) {
    profile = SrtpProfile::kAes128CmSha1_80;
  } else {
    return make_error(ErrorCode::kProtocol, std::string("DTLS: unsupported SRTP profile ") + p->name);
  }
  const auto lens = srtp_key_lengths(profile);
  std::vector<uint8_t> material(2 * (lens.key + lens.salt));
  static const char kLabel[] = "EXTRACTOR-dtls_srtp";
  ERR_clear_error();
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kLabel, sizeof(kLabel) - 1, nullptr, 0, 0) != 1) {
    return tl::unexpected(dtls_error(ErrorCode::kInternal, "key export: " + openssl_errors()));
  }
  // RFC 5764 4.2: client key | server key | client salt | server salt.
  const uint8_t* m = material.data();
  std::vector<uint8_t> client(m, m + lens.key), server(m + lens.key, m + 2 * lens.key);
  client.insert(client.end(), m + 2 * lens.key, m + 2 * lens.key + lens.salt);
  server.insert(server.end(), m + 2 * lens.key + lens.salt, m + 2 * (lens.key + lens.salt));
  SrtpKeys keys{profile, {}, {}};
  if (role_ == DtlsRole::kClient) {
    keys.local = std::move(client);
    keys.remote = std::move(server);
  } else {
    keys.local = std::move(server);
    keys.remote = std::move(client);
  }
  return keys;
}

void DtlsTransport::fail(Error error) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  state_ = State::kFailed;
  retransmit_timer_.cancel();
  handshake_deadline_.cancel();
  if (callbacks_.on_failed) callbacks_.on_failed(error);
}

void DtlsTransport::close() {
  if (state_ == State::kConnected && ssl_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // close_notify through the write BIO
  }
  state_ = State::kClosed;
  retransmit_timer_.cancel();
  handshake_deadline_.cancel();
  // The callbacks stay (one may be running now); state_ keeps them from firing again.
}

}  // namespace parley::rtc
