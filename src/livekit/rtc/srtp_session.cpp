#include "livekit/rtc/srtp_session.h"

#include <srtp2/srtp.h>

#include <mutex>

namespace parley::rtc {

namespace {

static_assert(kSrtpMaxTrailer >= SRTP_MAX_TRAILER_LEN);

Status init_once() {
  // srtp_init is process-wide and not thread-safe: once, for every loop.
  static std::once_flag once;
  static srtp_err_status_t status = srtp_err_status_ok;
  std::call_once(once, [] { status = srtp_init(); });
  if (status != srtp_err_status_ok) {
    return make_error(ErrorCode::kInternal, "libsrtp2 init failed (status " + std::to_string(status) + ")");
  }
  return {};
}

Error srtp_error(const char* what, srtp_err_status_t s) {
  const char* name = s == srtp_err_status_auth_fail     ? "authentication failed"
                     : s == srtp_err_status_replay_fail ? "replayed packet"
                     : s == srtp_err_status_replay_old  ? "packet too old"
                     : s == srtp_err_status_bad_param   ? "malformed packet"
                                                        : "error";
  return Error(ErrorCode::kProtocol, std::string("SRTP ") + what + ": " + name + " (status " + std::to_string(s) + ")");
}

void set_policy(srtp_policy_t& p, SrtpProfile profile) {
  if (profile == SrtpProfile::kAeadAes128Gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
  }
}

}  // namespace

SrtpKeyLengths srtp_key_lengths(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes128Gcm ? SrtpKeyLengths{16, 12} : SrtpKeyLengths{16, 14};
}

Result<std::unique_ptr<SrtpSession>> SrtpSession::create(SrtpProfile profile, std::span<const uint8_t> local,
                                                         std::span<const uint8_t> remote) {
  if (auto s = init_once(); !s) return tl::unexpected(s.error());
  const auto lens = srtp_key_lengths(profile);
  if (local.size() != lens.key + lens.salt || remote.size() != lens.key + lens.salt) {
    return make_error(ErrorCode::kInvalidArgument, "SRTP key material has the wrong length for the profile");
  }
  std::unique_ptr<SrtpSession> session(new SrtpSession());
  std::vector<uint8_t> local_copy(local.begin(), local.end()), remote_copy(remote.begin(), remote.end());
  for (int dir = 0; dir < 2; ++dir) {
    srtp_policy_t p{};
    set_policy(p, profile);
    p.ssrc.type = dir == 0 ? ssrc_any_outbound : ssrc_any_inbound;
    p.key = dir == 0 ? local_copy.data() : remote_copy.data();
    p.window_size = 1024;   // tolerate reordering on the path
    p.allow_repeat_tx = 1;  // a retransmission reuses its sequence number
    p.next = nullptr;
    srtp_err_status_t s = srtp_create(dir == 0 ? &session->out_ : &session->in_, &p);
    if (s != srtp_err_status_ok) return tl::unexpected(srtp_error("create", s));
  }
  return session;
}

SrtpSession::~SrtpSession() {
  if (out_) srtp_dealloc(out_);
  if (in_) srtp_dealloc(in_);
}

Status SrtpSession::protect_rtp(std::vector<uint8_t>& packet) {
  if (packet.size() < 12) return make_error(ErrorCode::kInvalidArgument, "SRTP protect: packet shorter than an RTP header");
  const size_t n = packet.size();
  packet.resize(n + kSrtpMaxTrailer);
  int len = static_cast<int>(n);
  srtp_err_status_t s = srtp_protect(out_, packet.data(), &len);
  packet.resize(s == srtp_err_status_ok ? static_cast<size_t>(len) : n);
  if (s != srtp_err_status_ok) return tl::unexpected(srtp_error("protect", s));
  return {};
}

Status SrtpSession::protect_rtcp(std::vector<uint8_t>& packet) {
  if (packet.size() < 8) return make_error(ErrorCode::kInvalidArgument, "SRTCP protect: packet shorter than an RTCP header");
  const size_t n = packet.size();
  packet.resize(n + kSrtpMaxTrailer);
  int len = static_cast<int>(n);
  srtp_err_status_t s = srtp_protect_rtcp(out_, packet.data(), &len);
  packet.resize(s == srtp_err_status_ok ? static_cast<size_t>(len) : n);
  if (s != srtp_err_status_ok) return tl::unexpected(srtp_error("protect rtcp", s));
  return {};
}

Status SrtpSession::unprotect_rtp(std::vector<uint8_t>& packet) {
  if (packet.size() < 12 || packet.size() > 65535) return make_error(ErrorCode::kInvalidArgument, "SRTP: bad packet size");
  int len = static_cast<int>(packet.size());
  srtp_err_status_t s = srtp_unprotect(in_, packet.data(), &len);
  if (s != srtp_err_status_ok) return tl::unexpected(srtp_error("unprotect", s));
  packet.resize(static_cast<size_t>(len));
  return {};
}

Status SrtpSession::unprotect_rtcp(std::vector<uint8_t>& packet) {
  if (packet.size() < 8 || packet.size() > 65535) return make_error(ErrorCode::kInvalidArgument, "SRTCP: bad packet size");
  int len = static_cast<int>(packet.size());
  srtp_err_status_t s = srtp_unprotect_rtcp(in_, packet.data(), &len);
  if (s != srtp_err_status_ok) return tl::unexpected(srtp_error("unprotect rtcp", s));
  packet.resize(static_cast<size_t>(len));
  return {};
}

}  // namespace parley::rtc
