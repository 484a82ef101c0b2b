// SRTP/SRTCP (RFC 3711, RFC 7714) for one DTLS-SRTP association, on libsrtp2: one outbound and
// one inbound libsrtp context keyed from the DTLS exporter (RFC 5764 §4.2). Single-threaded: used
// on its peer's loop only.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "core/error.h"

typedef struct srtp_ctx_t_ srtp_ctx_t;

namespace parley::rtc {

// The DTLS use_srtp protection profiles we offer (RFC 5764, RFC 7714 ids).
enum class SrtpProfile : uint16_t { kAes128CmSha1_80 = 0x0001, kAeadAes128Gcm = 0x0007 };

struct SrtpKeyLengths {
  size_t key;
  size_t salt;
};
SrtpKeyLengths srtp_key_lengths(SrtpProfile profile);
// Room protect() needs after the payload.
inline constexpr size_t kSrtpMaxTrailer = 16 + 128;  // >= libsrtp's SRTP_MAX_TRAILER_LEN

class SrtpSession {
 public:
  // keys are key||salt for this profile.
  static Result<std::unique_ptr<SrtpSession>> create(SrtpProfile profile, std::span<const uint8_t> local_key_salt,
                                                     std::span<const uint8_t> remote_key_salt);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // In place: packet grows by the auth tag (capacity is reserved as needed).
  Status protect_rtp(std::vector<uint8_t>& packet);
  Status protect_rtcp(std::vector<uint8_t>& packet);
  // In place: packet shrinks to the plain RTP/RTCP. Fails on authentication, replay, garbage.
  Status unprotect_rtp(std::vector<uint8_t>& packet);
  Status unprotect_rtcp(std::vector<uint8_t>& packet);

 private:
  SrtpSession() = default;
  srtp_ctx_t* out_ = nullptr;
  srtp_ctx_t* in_ = nullptr;
};

}  // namespace parley::rtc
