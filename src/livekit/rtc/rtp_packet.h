// RTP (RFC 3550) parse/build for Opus, with the one- and two-byte header extensions (RFC 8285)
// carrying ssrc-audio-level (RFC 6464) and the mid (RFC 8843); and the RFC 7983 demultiplexer
// that sorts what arrives on the one bundled ICE component into STUN, DTLS, RTP and RTCP.
// Pure functions over bytes: untrusted input yields a kInvalidArgument Error, never a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace parley::rtc {

enum class PacketClass { kStun, kDtls, kRtp, kRtcp, kUnknown };
// RFC 7983 §7 by the first byte, and RFC 5761 §4 (payload type 192..223 = RTCP) for 128..191.
PacketClass classify_packet(std::span<const uint8_t> packet);

struct RtpPacketView {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::optional<uint8_t> audio_level;  // -dBov 0..127
  bool voice_activity = false;
  std::string mid;                     // from the sdes:mid extension, if present
  std::span<const uint8_t> payload;    // points into the parsed buffer (padding removed)
};

// ext ids are the negotiated extmap ids (0 = not negotiated: ignored).
Result<RtpPacketView> parse_rtp(std::span<const uint8_t> packet, int audio_level_ext_id = 0, int mid_ext_id = 0);

struct RtpHeaderFields {
  bool marker = false;
  uint8_t payload_type = 111;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  int audio_level_ext_id = 0;  // 0: no extension
  uint8_t audio_level = 127;
  bool voice_activity = false;
};

// Writes header (+ one-byte extension) and payload into out (cleared first), reserving
// `tail_room` extra capacity for the SRTP auth tag so protect() never reallocates.
void build_rtp(const RtpHeaderFields& h, std::span<const uint8_t> payload, std::vector<uint8_t>& out,
               size_t tail_room = 16);

}  // namespace parley::rtc
