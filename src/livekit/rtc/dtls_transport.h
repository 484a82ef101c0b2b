// DTLS 1.2 with the use_srtp extension (RFC 5764) over OpenSSL 3, on memory: records arrive
// through receive() and leave through the `send` callback, one datagram per call (a custom write
// BIO, Janus's dtls-bio idea, so a flight never exceeds the 1200-byte MTU in one packet);
// retransmissions run on the loop's timers (DTLSv1_get_timeout). The peer's self-signed
// certificate is accepted only if it matches the a=fingerprint of its SDP (RFC 8122).
//
// Thread: the loop given to create(); callbacks run there and are never called after close()
// or destruction. The send callback runs inside OpenSSL: it must not call back into this object.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "livekit/rtc/negotiation.h"
#include "livekit/rtc/srtp_session.h"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;
typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace parley::rtc {

// A self-signed ECDSA P-256 certificate; one per PeerConnection (or shared, read-only).
class DtlsCertificate {
 public:
  static Result<std::shared_ptr<DtlsCertificate>> generate();
  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;
  const Fingerprint& fingerprint() const { return fingerprint_; }  // sha-256
  X509* x509() const { return x509_; }
  EVP_PKEY* key() const { return key_; }

 private:
  DtlsCertificate() = default;
  X509* x509_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  Fingerprint fingerprint_;
};

// The digest of a DER certificate with the named hash ("sha-256"…); for fingerprint checks.
Result<std::vector<uint8_t>> certificate_digest(X509* cert, const std::string& algorithm);

enum class DtlsRole { kClient, kServer };

struct SrtpKeys {
  SrtpProfile profile;
  std::vector<uint8_t> local;   // key||salt we protect with
  std::vector<uint8_t> remote;  // key||salt we unprotect with
};

class DtlsTransport {
 public:
  struct Callbacks {
    std::function<void(std::span<const uint8_t>)> send;      // one DTLS datagram to the wire
    std::function<void()> on_connected;                      // handshake done, fingerprint verified
    std::function<void(const Error&)> on_failed;             // handshake/verification failure, timeout
    std::function<void(std::span<const uint8_t>)> on_data;   // application data (SCTP packets)
    std::function<void()> on_closed;                         // peer sent close_notify
  };

  static constexpr int kMtu = 1200;

  static Result<std::unique_ptr<DtlsTransport>> create(EventLoop& loop, std::shared_ptr<DtlsCertificate> cert,
                                                       DtlsRole role, Fingerprint remote_fingerprint,
                                                       Callbacks callbacks, log::Logger logger = log::root());
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // The client sends its ClientHello; the server waits for one. Gives up after `timeout`.
  void start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // One received datagram classified as DTLS (first byte 20..63). Before start() it is held.
  void receive(std::span<const uint8_t> datagram);
  // Application data (one SCTP packet); kUnavailable before the handshake is done.
  Status send(std::span<const uint8_t> data);
  Result<SrtpKeys> srtp_keys() const;
  bool connected() const { return state_ == State::kConnected; }
  DtlsRole role() const { return role_; }
  // Sends close_notify; no callback fires afterwards.
  void close();

  // Used by the write BIO.
  void emit(std::span<const uint8_t> datagram);

 private:
  enum class State { kNew, kHandshaking, kConnected, kFailed, kClosed };
  DtlsTransport(EventLoop& loop, DtlsRole role, Fingerprint remote, Callbacks callbacks, log::Logger logger);
  log::Logger log_;  // the call's (PeerConfig::logger)
  void drive_handshake();
  void read_application_data();
  void schedule_retransmit();
  void fail(Error error);

  EventLoop& loop_;
  DtlsRole role_;
  Fingerprint remote_fingerprint_;
  Callbacks callbacks_;
  std::shared_ptr<DtlsCertificate> cert_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  State state_ = State::kNew;
  std::vector<std::vector<uint8_t>> early_;  // datagrams received before start()
  TimerHandle retransmit_timer_;
  TimerHandle handshake_deadline_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::rtc
