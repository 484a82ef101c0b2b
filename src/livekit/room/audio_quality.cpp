#include "livekit/room/audio_quality.h"

#include <algorithm>
#include <cmath>

#include "livekit/rtc/peer_connection.h"
#include "media/jitter_buffer.h"

namespace parley::livekit {

namespace {
// Divides (not multiplies by a step) so that 1.4 prints as 1.4, not 1.4000000000000001.
double round_to(double v, double per_unit) { return std::round(v * per_unit) / per_unit; }
}  // namespace

double AudioQuality::loss_ratio() const {
  if (expected == 0 || lost <= 0) return 0;
  return std::min(1.0, static_cast<double>(lost) / static_cast<double>(expected));
}

std::optional<double> AudioQuality::concealed_share() const {
  if (!frames || !concealed) return std::nullopt;
  if (*frames == 0) return 0.0;
  return static_cast<double>(*concealed) / static_cast<double>(*frames);
}

nlohmann::json AudioQuality::to_json() const {
  nlohmann::json j = {{"measured", measured},
                      {"packets_expected", expected},
                      {"packets_lost", std::max<int64_t>(0, lost)},
                      {"loss_ratio", round_to(loss_ratio(), 10000)},
                      {"jitter_ms", round_to(jitter_ms, 100)}};
  if (auto c = concealed_share()) j["concealed_share"] = round_to(*c, 10000);
  return j;
}

AudioQuality received_quality(const rtc::RtpReceiveSummary& rtp, const media::JitterBufferStats& playout) {
  AudioQuality q;
  q.measured = rtp.expected > 0;
  q.expected = rtp.expected;
  q.lost = rtp.lost;
  q.jitter_ms = rtp.jitter / kOpusClockPerMs;
  // Silence while (re)buffering is no lost audio: only frames that stood for the caller's audio.
  q.frames = playout.decoded + playout.fec_recovered + playout.concealed;
  q.concealed = playout.concealed;
  return q;
}

AudioQuality sent_quality(const rtc::RtpSendSummary& sent) {
  AudioQuality q;
  q.measured = sent.reports > 0;
  if (!q.measured) return q;
  // The receiver's extended highest sequence number counts from our first packet's number
  // (it saw the same 16-bit start), so the packets it expected are the distance plus one.
  const int64_t expected = static_cast<int64_t>(sent.highest_seq) - static_cast<int64_t>(sent.first_seq) + 1;
  q.expected = expected > 0 ? static_cast<uint64_t>(expected) : 0;
  q.lost = sent.cumulative_lost;
  q.jitter_ms = sent.jitter / kOpusClockPerMs;
  return q;
}

}  // namespace parley::livekit
