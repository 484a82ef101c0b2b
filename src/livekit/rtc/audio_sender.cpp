// One sendonly Opus track: RTP with the ssrc-audio-level extension, protected by SRTP.
#include <chrono>

#include "livekit/rtc/peer_connection_impl.h"
#include "livekit/rtc/rtp_packet.h"

namespace parley::rtc {

AudioSender::AudioSender(PeerConnectionImpl& pc, LocalSection section, uint16_t first_seq, uint32_t first_ts)
    : pc_(pc), section_(std::move(section)), seq_(first_seq), first_seq_(first_seq), timestamp_(first_ts) {}

void AudioSender::on_report(const ReportBlock& block) {
  ++reports_;
  last_report_ = block;
}

RtpSendSummary AudioSender::summary() const {
  RtpSendSummary s;
  s.ssrc = section_.ssrc;
  s.track_id = section_.track_id;
  s.packets_sent = packets_;
  s.first_seq = first_seq_;
  s.reports = reports_;
  s.highest_seq = last_report_.highest_seq;
  s.cumulative_lost = last_report_.cumulative_lost;
  s.jitter = last_report_.jitter;
  return s;
}

void AudioSender::send_opus(std::span<const uint8_t> frame, uint32_t samples, uint8_t audio_level_dbov) {
  if (frame.empty() || frame.size() > 1500) return;
  const auto now = std::chrono::steady_clock::now();
  RtpHeaderFields h;
  // RFC 7587 §4.1: marker on the first packet of a talkspurt (after DTX silence).
  h.marker = first_ || now - last_sent_ > std::chrono::milliseconds(100);
  if (!first_ && h.marker) {
    // The RTP clock is the sampling clock (RFC 3550 5.1): over a pause in sending it runs on, so
    // a receiver's transit time, and with it its jitter estimate and buffer depth, does not jump
    // by the pause's length (parley's own receiver held the next reply back ~160 ms). The last
    // packet's frame is counted already; the rest of the pause is added in whole frames.
    const int64_t gap_us = std::chrono::duration_cast<std::chrono::microseconds>(now - last_sent_).count();
    const int64_t frame_us = static_cast<int64_t>(samples) * 1'000'000 / 48'000;
    if (frame_us > 0) {
      const int64_t skipped = (gap_us - frame_us + frame_us / 2) / frame_us;
      timestamp_ += static_cast<uint32_t>(skipped * static_cast<int64_t>(samples));
    }
  }
  h.payload_type = kOpusPayloadType;
  h.seq = seq_;
  h.timestamp = timestamp_;
  h.ssrc = section_.ssrc;
  h.audio_level_ext_id = pc_.audio_level_ext_for_sending();
  h.audio_level = static_cast<uint8_t>(std::min<int>(audio_level_dbov, 127));
  h.voice_activity = audio_level_dbov < 127;
  build_rtp(h, frame, buffer_, kSrtpMaxTrailer);
  // The RTP clock advances whether or not the packet left: the receiver sees a gap, not a jump.
  timestamp_ += samples;
  if (!pc_.send_rtp(buffer_)) return;
  ++seq_;
  first_ = false;
  last_sent_ = now;
  ++packets_;
  octets_ += static_cast<uint32_t>(frame.size());
}

SenderInfo AudioSender::sender_info(uint64_t ntp) const {
  SenderInfo s;
  s.ntp = ntp;
  // The RTP time of "now": the last timestamp extended by the time since it was sent.
  const auto since = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - last_sent_);
  s.rtp_timestamp = timestamp_ + static_cast<uint32_t>(since.count() * 48);
  s.packet_count = packets_;
  s.octet_count = octets_;
  return s;
}

}  // namespace parley::rtc
