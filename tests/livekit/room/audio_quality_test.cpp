// Call-quality figures from what the receive side counts (RTP sequence numbers and arrival
// times, the jitter buffer's playout) and from the far end's receiver reports.
#include "livekit/room/audio_quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "agent/call_quality.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "livekit/rtc/peer_connection.h"
#include "livekit/rtc/rtcp_packet.h"
#include "media/jitter_buffer.h"
#include "media/opus_encoder.h"

namespace parley::livekit {
namespace {

using namespace std::chrono_literals;

struct Leg {
  rtc::RtpReceiveStats rtp;
  std::unique_ptr<media::JitterBuffer> jb;
  size_t dropped = 0;
};

// 100 packets of 20 ms Opus tone whose sequence numbers wrap, every `drop_every`-th lost (0:
// none), odd packets arriving `late_ms` late; the receiver pulls every 20 ms until the last
// packet has been played.
Leg run_leg(ManualClock& clock, int drop_every, int late_ms) {
  Leg leg;
  leg.jb = std::move(*media::JitterBuffer::create(clock));
  auto enc = std::move(*media::OpusEncoder::create({}));
  constexpr int kPackets = 100;
  std::vector<int16_t> pcm(960);
  struct Sent {
    uint16_t seq;
    uint32_t ts;
    media::SecureVector<uint8_t> payload;
    int arrival_ms;
  };
  std::vector<Sent> sent;
  for (int k = 0; k < kPackets; ++k) {
    for (int i = 0; i < 960; ++i) pcm[i] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * (k * 960 + i) / 48000.0));
    auto p = enc->encode(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(pcm)));
    // Never the first or last packet: loss is between packets that arrived.
    if (drop_every > 0 && k > 0 && k < kPackets - 1 && k % drop_every == 3) {
      ++leg.dropped;
      continue;
    }
    sent.push_back({static_cast<uint16_t>(65500 + k), static_cast<uint32_t>(4000000000u + 960u * k), std::move(*p),
                    20 * k + (k % 2 ? late_ms : 0)});
  }
  size_t next = 0;
  for (int t = 0; t < 10'000; ++t) {
    while (next < sent.size() && sent[next].arrival_ms <= t) {
      // The arrival clock in RTP units, as PeerConnection gives it (48 per ms).
      leg.rtp.on_packet(sent[next].seq, sent[next].ts, static_cast<uint32_t>(t * 48));
      EXPECT_TRUE(leg.jb->push(sent[next].seq, sent[next].ts, sent[next].payload));
      ++next;
    }
    if (t % 20 == 7) (void)leg.jb->pull();
    const auto& s = leg.jb->stats();
    if (next == sent.size() && s.decoded + s.fec_recovered + s.lost == kPackets) break;
    clock.advance(1ms);
  }
  return leg;
}

rtc::RtpReceiveSummary summary(const rtc::RtpReceiveStats& rtp) {
  rtc::RtpReceiveSummary s;
  s.expected = rtp.expected();
  s.lost = rtp.lost();
  s.jitter = rtp.jitter();
  return s;
}

TEST(AudioQuality, ACleanCallerLegHasNoLossNoJitterNoConcealment) {
  ManualClock clock;
  auto leg = run_leg(clock, 0, 0);
  auto q = received_quality(summary(leg.rtp), leg.jb->stats());
  EXPECT_TRUE(q.measured);
  EXPECT_EQ(q.expected, 100u);
  EXPECT_EQ(q.lost, 0);
  EXPECT_EQ(q.loss_ratio(), 0.0);
  EXPECT_LT(q.jitter_ms, 0.05);
  ASSERT_TRUE(q.concealed_share());
  EXPECT_EQ(*q.concealed_share(), 0.0);
  EXPECT_EQ(*q.frames, 100u);
}

TEST(AudioQuality, CallerLegCountsSequenceGapsAcrossTheWrapAndConcealedFrames) {
  ManualClock clock;
  auto leg = run_leg(clock, 10, 0);
  ASSERT_EQ(leg.dropped, 10u);  // k = 3, 13, …, 93
  auto q = received_quality(summary(leg.rtp), leg.jb->stats());
  EXPECT_EQ(q.expected, 100u);
  EXPECT_EQ(q.lost, 10);
  EXPECT_DOUBLE_EQ(q.loss_ratio(), 0.1);
  // The 90 packets that came were played; each lost one's frame was made up (PLC, or the next
  // packet's FEC data when it was already there), and while the buffer waited for a packet
  // that might only be late it concealed too, so concealment is at least the loss share.
  const auto& st = leg.jb->stats();
  EXPECT_EQ(st.decoded, 90u);
  EXPECT_GE(st.concealed + st.fec_recovered, 10u);
  EXPECT_EQ(*q.frames, st.decoded + st.fec_recovered + st.concealed);
  EXPECT_DOUBLE_EQ(*q.concealed_share(), static_cast<double>(st.concealed) / static_cast<double>(*q.frames));
  EXPECT_GE(*q.concealed_share(), 10.0 / 110.0);
  EXPECT_LE(*q.concealed_share(), 0.2);
  auto j = q.to_json();
  EXPECT_EQ(j["packets_lost"], 10);
  EXPECT_DOUBLE_EQ(j["loss_ratio"].get<double>(), 0.1);
  EXPECT_NEAR(j["concealed_share"].get<double>(), *q.concealed_share(), 0.0001);
}

TEST(AudioQuality, JitterFollowsRfc3550) {
  // Every other packet 8 ms late: the transit time alternates, |D| = 8 ms at every packet, and
  // the RFC 3550 estimate J += (|D| − J) / 16 converges to 8 ms (1 − (15/16)^99 of it here).
  ManualClock clock;
  auto leg = run_leg(clock, 0, 8);
  auto q = received_quality(summary(leg.rtp), leg.jb->stats());
  const double expected = 8.0 * (1 - std::pow(15.0 / 16.0, 99));
  EXPECT_NEAR(q.jitter_ms, expected, 0.01);
  EXPECT_EQ(q.lost, 0);
  // The jitter buffer's delay absorbs 8 ms: nothing concealed.
  EXPECT_EQ(*q.concealed, 0u);
}

TEST(AudioQuality, AgentLegComesFromTheServersReceiverReports) {
  rtc::RtpSendSummary s;
  s.first_seq = 65530;
  s.packets_sent = 100;
  EXPECT_FALSE(sent_quality(s).measured);  // no report yet
  s.reports = 3;
  s.highest_seq = 65536 + 93;  // 100 packets from 65530, across the wrap
  s.cumulative_lost = 2;
  s.jitter = 96;  // 2 ms at 48 kHz
  auto q = sent_quality(s);
  EXPECT_TRUE(q.measured);
  EXPECT_EQ(q.expected, 100u);
  EXPECT_DOUBLE_EQ(q.loss_ratio(), 0.02);
  EXPECT_DOUBLE_EQ(q.jitter_ms, 2.0);
  // Concealment after the server is not visible from here.
  EXPECT_FALSE(q.concealed_share());
  EXPECT_FALSE(q.to_json().contains("concealed_share"));
}

TEST(AudioQuality, CallQualityGoesToTheRecordAndTheMetrics) {
  agent::CallQuality cq;
  AudioQuality in;
  in.measured = true;
  in.expected = 1000;
  in.lost = 5;
  in.jitter_ms = 3;
  in.frames = 1000;
  in.concealed = 7;
  cq.caller_to_agent = in;
  AudioQuality out;  // no receiver report: in the record, not in the metrics
  cq.agent_to_caller = out;
  auto j = cq.to_json();
  EXPECT_DOUBLE_EQ(j["caller_to_agent"]["loss_ratio"].get<double>(), 0.005);
  EXPECT_DOUBLE_EQ(j["caller_to_agent"]["concealed_share"].get<double>(), 0.007);
  EXPECT_EQ(j["agent_to_caller"]["measured"], false);
  auto& lost = metrics::registry().counter("parley_call_rtp_packets_lost_total", "", {"leg"});
  const double before = lost.with({"caller_to_agent"}).value();
  const double before_out = lost.with({"agent_to_caller"}).value();
  cq.observe();
  EXPECT_EQ(lost.with({"caller_to_agent"}).value() - before, 5);
  EXPECT_EQ(lost.with({"agent_to_caller"}).value(), before_out);
  const auto text = metrics::registry().render();
  EXPECT_NE(text.find("parley_call_packet_loss_ratio_bucket{leg=\"caller_to_agent\""), std::string::npos);
  EXPECT_NE(text.find("parley_call_concealed_ratio_count{leg=\"caller_to_agent\"}"), std::string::npos);
}

}  // namespace
}  // namespace parley::livekit
