// What an SDP means to our audio-only, max-bundle transport: reading a remote offer or answer
// (ICE credentials, DTLS fingerprint and role, Opus payload type, header extensions, SSRCs, data
// channels) and writing our offer or answer. Pure functions over sdp::SessionDescription.
//
// LiveKit quirks handled here (docs/webrtc-notes.md): the subscriber offer lists RED (63) before
// Opus (111) — we answer Opus only; everything is in one BUNDLE group with rtcp-mux; the data
// m-section is offered on port 9 without bundle-only; our answer is setup:active.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "livekit/rtc/sdp.h"

namespace parley::rtc {

inline constexpr uint8_t kOpusPayloadType = 111;
inline constexpr char kAudioLevelUri[] = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
inline constexpr char kMidUri[] = "urn:ietf:params:rtp-hdrext:sdes:mid";
inline constexpr uint16_t kSctpPort = 5000;
inline constexpr uint32_t kMaxMessageSize = 262144;

enum class DtlsSetup { kActpass, kActive, kPassive };

struct Fingerprint {
  std::string algorithm;        // lower case: sha-256, sha-1, sha-384, sha-512
  std::vector<uint8_t> digest;  // raw bytes
  std::string to_sdp() const;   // "sha-256 AB:CD:…"
  static Result<Fingerprint> parse(const std::string& sdp_value);
};

enum class SectionKind { kAudio, kData, kOther };

struct RemoteSection {
  SectionKind kind = SectionKind::kOther;
  std::string media;  // as in the m= line
  std::string mid;
  bool rejected = false;  // port 0
  std::string direction = "sendrecv";
  std::vector<std::string> formats;  // the m= line's formats (echoed when rejecting)
  std::string proto;
  // audio
  int opus_pt = -1;          // -1: no Opus offered
  std::string opus_fmtp;     // the remote's fmtp for Opus
  int audio_level_ext = 0;   // 0 = not offered
  int mid_ext = 0;
  std::vector<uint32_t> ssrcs;
  std::string msid;          // "<stream> <track>" from a=msid or a=ssrc:… msid:
  // data
  uint16_t sctp_port = kSctpPort;
  uint32_t max_message_size = 65536;  // RFC 8841 default when absent
};

struct RemoteDescription {
  std::string ice_ufrag;
  std::string ice_pwd;
  bool ice_lite = false;
  Fingerprint fingerprint;
  DtlsSetup setup = DtlsSetup::kActpass;
  std::vector<std::string> candidates;  // "candidate:…" lines found in the SDP
  bool end_of_candidates = false;
  std::vector<RemoteSection> sections;

  const RemoteSection* find_mid(const std::string& mid) const;
};

// Reads the transport and sections of a remote offer (is_offer) or answer. Errors name what is
// missing or malformed (no ICE credentials, no fingerprint, bad setup, absurd numbers).
Result<RemoteDescription> read_remote_description(const sdp::SessionDescription& sdp, bool is_offer);

struct LocalTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  Fingerprint fingerprint;
  DtlsSetup setup = DtlsSetup::kActpass;
};

// One m-section we offer; the order and mids never change once offered.
struct LocalSection {
  SectionKind kind = SectionKind::kAudio;
  std::string mid;
  // audio tracks (sendonly)
  std::string stream_id;
  std::string track_id;
  uint32_t ssrc = 0;
  std::string cname;
};

struct SdpSession {
  uint64_t id = 0;       // o= session id
  uint64_t version = 0;  // incremented for every new offer/answer
};

std::string build_offer(const LocalTransport& transport, const std::vector<LocalSection>& sections,
                        const SdpSession& session);

// Our answer to a remote offer: Opus-only recvonly audio (or inactive/rejected), the data
// channel section if offered, everything else rejected (port 0).
std::string build_answer(const LocalTransport& transport, const RemoteDescription& offer, const SdpSession& session);

// The answer must accept every section we offered and agree on Opus; returns what was chosen.
Status check_answer(const RemoteDescription& answer, const std::vector<LocalSection>& offered);

}  // namespace parley::rtc
