// Call quality of one audio track in one direction, as parley sees it:
// - a track parley receives (the caller → agent leg): packet loss from RTP sequence gaps and
//   interarrival jitter (RFC 3550 A.3, 6.4.1) on parley's receive side, and the share of played
//   audio that the jitter buffer had to make up by Opus packet-loss concealment;
// - a track parley sends (the agent → caller leg): loss and jitter from the RTCP receiver
//   reports the server sends about it. What happens after the server (the SIP bridge's own
//   buffer) is not visible here, so that leg has no concealment figure.
// Pure computations, so they are tested on their own.
#pragma once

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>

// Declared only: the room's users see AudioQuality, not RTP.
namespace parley::rtc {
struct RtpReceiveSummary;
struct RtpSendSummary;
}  // namespace parley::rtc
namespace parley::media {
struct JitterBufferStats;
}  // namespace parley::media

namespace parley::livekit {

struct AudioQuality {
  uint64_t expected = 0;  // packets sent, by sequence numbers
  int64_t lost = 0;       // of those, never received (negative with duplicates; shown as 0)
  double jitter_ms = 0;   // RFC 3550 interarrival jitter
  std::optional<uint64_t> frames;     // receive side: 20 ms frames played (decoded, FEC, concealed)
  std::optional<uint64_t> concealed;  // receive side: of those, made up by concealment
  // Receive side: how long the caller's audio waits in the jitter buffer before it plays (the
  // turn waterfall's receive hop): what it held when measured, or its target delay when that
  // is more (nothing queued during a DTX silence). Not in to_json().
  std::optional<double> buffered_ms;
  bool measured = false;  // false until a packet (receive) or a receiver report (send) arrived

  double loss_ratio() const;
  std::optional<double> concealed_share() const;
  // {"packets_expected", "packets_lost", "loss_ratio", "jitter_ms", "concealed_share"?}
  nlohmann::json to_json() const;
};

// Opus RTP runs on a 48 kHz clock (RFC 7587).
constexpr double kOpusClockPerMs = 48.0;

// The receive side of one remote track: its RTP counts and its jitter buffer's playout.
AudioQuality received_quality(const rtc::RtpReceiveSummary& rtp, const media::JitterBufferStats& playout);
// The send side of one local track, from the far end's last receiver report.
AudioQuality sent_quality(const rtc::RtpSendSummary& sent);

}  // namespace parley::livekit
