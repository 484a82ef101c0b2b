#include "media/jitter_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "core/clock.h"
#include "media/opus_encoder.h"
#include "media/test_signal.h"

namespace parley::media {
namespace {

using namespace std::chrono_literals;

struct RtpPacket {
  uint16_t seq;
  uint32_t ts;
  SecureVector<uint8_t> payload;
  int arrival_ms;  // when it reaches the receiver
};

// 20 ms Opus packets of a voice-like signal, sent every 20 ms from t = 0.
std::vector<RtpPacket> make_stream(double seconds, uint16_t seq0 = 1000, uint32_t ts0 = 123456,
                                   bool fec = false) {
  OpusEncoderOptions o;
  o.fec = fec;
  o.expected_loss_percent = fec ? 10 : 0;
  auto enc = OpusEncoder::create(o);
  auto pcm = test::voice_like(48000, seconds);
  std::vector<RtpPacket> out;
  for (size_t i = 0; i + 960 <= pcm.size(); i += 960) {
    auto p = (*enc)->encode(AudioFrame::from_samples(48000, 1, std::span<const int16_t>(pcm).subspan(i, 960)));
    const auto k = out.size();
    out.push_back({static_cast<uint16_t>(seq0 + k), static_cast<uint32_t>(ts0 + 960 * k), std::move(*p),
                   static_cast<int>(20 * k)});
  }
  return out;
}

// make_stream's packets, each arriving 0 … max_ms late (uniform, seeded): a jittery path.
std::vector<RtpPacket> jittered_stream(double seconds, int max_ms, unsigned seed) {
  auto stream = make_stream(seconds);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay(0, max_ms);
  for (auto& p : stream) p.arrival_ms += delay(rng);
  return stream;
}

// What a decoder that got every packet in order outputs.
std::vector<int16_t> reference_decode(const std::vector<RtpPacket>& stream) {
  auto dec = OpusDecoder::create();
  std::vector<int16_t> out;
  for (auto& p : stream) {
    AudioFrame f;
    EXPECT_TRUE((*dec)->decode(p.payload, f));
    out.insert(out.end(), f.data.begin(), f.data.end());
  }
  return out;
}

struct Playout {
  std::vector<JitterFrame> frames;
  std::vector<int16_t> decoded;  // the samples of decoded frames, in order
  // Frames of a kind between the first and the last decoded frame (the stream's end, where the
  // buffer runs dry and conceals a few frames before going silent, is not counted).
  size_t count_inside(FrameSource s) const {
    size_t first = frames.size(), last = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      if (frames[i].source == FrameSource::kDecoded) {
        first = std::min(first, i);
        last = i;
      }
    }
    size_t n = 0;
    for (size_t i = first; i <= last && i < frames.size(); ++i) n += frames[i].source == s ? 1 : 0;
    return n;
  }
  size_t count(FrameSource s) const {
    return static_cast<size_t>(std::count_if(frames.begin(), frames.end(), [&](auto& f) { return f.source == s; }));
  }
};

// Delivers each packet at its arrival time and pulls a frame every 20 ms (offset 7 ms from the
// sender's grid) on a manual clock, for `ms` milliseconds.
Playout run(JitterBuffer& jb, ManualClock& clock, std::vector<RtpPacket> packets, int ms) {
  std::stable_sort(packets.begin(), packets.end(), [](auto& a, auto& b) { return a.arrival_ms < b.arrival_ms; });
  Playout out;
  size_t next = 0;
  for (int t = 0; t < ms; ++t) {
    while (next < packets.size() && packets[next].arrival_ms <= t) {
      EXPECT_TRUE(jb.push(packets[next].seq, packets[next].ts, packets[next].payload));
      ++next;
    }
    if (t % 20 == 7) {
      JitterFrame f = jb.pull();
      EXPECT_EQ(f.audio.samples_per_channel, 960);
      EXPECT_EQ(f.audio.sample_rate, 48000);
      if (f.source == FrameSource::kDecoded) out.decoded.insert(out.decoded.end(), f.audio.data.begin(), f.audio.data.end());
      out.frames.push_back(std::move(f));
    }
    clock.advance(1ms);
  }
  return out;
}

std::unique_ptr<JitterBuffer> make_jb(ManualClock& clock, JitterBufferOptions o = {}) {
  auto jb = JitterBuffer::create(clock, o);
  EXPECT_TRUE(jb) << jb.error().to_string();
  return std::move(*jb);
}

// The agent's receive buffer: one frame deep to start with and at least (remote_audio.cpp).
JitterBufferOptions one_frame() {
  JitterBufferOptions o;
  o.initial_delay = 20ms;
  o.min_delay = 20ms;
  return o;
}

// The sender stops for 1 s before packet `from`: its timestamps and arrivals jump on by 1 s.
void pause_before(std::vector<RtpPacket>& stream, size_t from) {
  for (size_t i = from; i < stream.size(); ++i) {
    stream[i].ts += 48000;
    stream[i].arrival_ms += 1000;
  }
}

TEST(JitterBuffer, InOrderPlaysEveryPacketExactlyAsADecoderWould) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto stream = make_stream(2.0);
  Playout p = run(*jb, clock, stream, 2200);
  EXPECT_EQ(p.decoded, reference_decode(stream));
  EXPECT_EQ(jb->stats().lost, 0u);
  EXPECT_EQ(jb->stats().late, 0u);
  EXPECT_EQ(p.count_inside(FrameSource::kConcealed) + p.count_inside(FrameSource::kFec), 0u)
      << "no concealment while packets flow";
  // Playout started after about the initial delay (60 ms = three frames of silence).
  size_t lead = 0;
  while (p.frames[lead].source == FrameSource::kSilence) ++lead;
  EXPECT_GE(lead, 2u);
  EXPECT_LE(lead, 4u);
}

TEST(JitterBuffer, ReorderedAndDuplicatedPacketsPlayInOrderOnce) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto stream = make_stream(2.0);
  auto reference = reference_decode(stream);
  std::vector<RtpPacket> sent;
  for (size_t i = 0; i < stream.size(); ++i) {
    RtpPacket p = stream[i];
    // Swap neighbours: odd packets arrive 25 ms late (after the next one).
    if (i % 2 == 1) p.arrival_ms += 25;
    sent.push_back(p);
    if (i % 5 == 0) {
      RtpPacket dup = stream[i];
      dup.arrival_ms += 3;
      sent.push_back(dup);
    }
  }
  Playout p = run(*jb, clock, sent, 2300);
  EXPECT_EQ(p.decoded, reference);
  EXPECT_EQ(jb->stats().duplicates, (stream.size() + 4) / 5);
  EXPECT_EQ(jb->stats().lost, 0u);
  EXPECT_EQ(jb->stats().late, 0u);
}

TEST(JitterBuffer, LostPacketsAreConcealedAndCounted) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto stream = make_stream(2.0);
  std::vector<RtpPacket> sent;
  size_t dropped = 0;
  for (size_t i = 0; i < stream.size(); ++i) {
    if (i > 5 && i % 10 == 3) {
      ++dropped;
      continue;
    }
    sent.push_back(stream[i]);
  }
  Playout p = run(*jb, clock, sent, 2200);
  EXPECT_EQ(jb->stats().lost, dropped);
  EXPECT_EQ(p.count_inside(FrameSource::kConcealed) + p.count_inside(FrameSource::kFec), dropped);
  EXPECT_EQ(p.count(FrameSource::kDecoded), stream.size() - dropped);
  // The concealed frames carry sound (PLC continues the voice), not holes.
  for (auto& f : p.frames) {
    if (f.source == FrameSource::kConcealed) {
      EXPECT_GT(rms(f.audio.samples()), 50.0);
    }
  }
}

TEST(JitterBuffer, UsesFecWhenTheNextPacketIsHere) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto stream = make_stream(2.0, 1000, 5000, /*fec=*/true);
  std::vector<RtpPacket> sent;
  for (size_t i = 0; i < stream.size(); ++i) {
    if (i == 40 || i == 70) continue;
    sent.push_back(stream[i]);
  }
  Playout p = run(*jb, clock, sent, 2200);
  EXPECT_EQ(jb->stats().lost, 2u);
  EXPECT_EQ(jb->stats().fec_recovered, 2u);
  EXPECT_EQ(p.count_inside(FrameSource::kConcealed), 0u);
}

TEST(JitterBuffer, SequenceAndTimestampWrap) {
  ManualClock clock;
  auto jb = make_jb(clock);
  // Both counters wrap a few packets in.
  auto stream = make_stream(1.0, 65530, 0xFFFFFFFFu - 960 * 5 + 1);
  std::vector<RtpPacket> sent = stream;
  std::swap(sent[5].arrival_ms, sent[6].arrival_ms);  // reorder across the wrap
  Playout p = run(*jb, clock, sent, 1200);
  EXPECT_EQ(p.decoded, reference_decode(stream));
  EXPECT_EQ(jb->stats().lost, 0u);
  EXPECT_EQ(jb->stats().resets, 0u);
}

TEST(JitterBuffer, APacketTooLateIsDroppedAndCounted) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto stream = make_stream(1.0);
  stream[20].arrival_ms += 300;
  Playout p = run(*jb, clock, stream, 1200);
  EXPECT_EQ(jb->stats().late, 1u);
  EXPECT_EQ(p.count_inside(FrameSource::kConcealed) + p.count_inside(FrameSource::kFec), 1u);
  EXPECT_EQ(p.count(FrameSource::kDecoded), stream.size() - 1);
}

TEST(JitterBuffer, DelayAdaptsToJitter) {
  ManualClock clock;
  JitterBufferOptions o;
  o.initial_delay = 40ms;
  auto jb = make_jb(clock, o);
  auto stream = jittered_stream(4.0, 70, 7);
  Playout p = run(*jb, clock, stream, 4300);
  EXPECT_GT(jb->target_delay(), 40ms);
  EXPECT_LE(jb->target_delay(), 200ms);
  EXPECT_GT(jb->jitter_ms(), 5.0);
  // After the delay has grown, nearly everything plays.
  const auto& st = jb->stats();
  EXPECT_GE(p.count(FrameSource::kDecoded), stream.size() * 9 / 10)
      << "late " << st.late << " lost " << st.lost << " concealed " << st.concealed << " underruns " << st.underruns
      << " drops " << st.overflow_drops << " target " << jb->target_delay().count() << " jitter " << jb->jitter_ms();
}

// The agent's receive buffer (livekit/room/remote_audio.cpp) runs at one frame on a clean
// network: every packet plays one pull after it arrives, nothing is concealed, and the depth
// grows only once jitter is seen.
TEST(JitterBuffer, AtOneFrameOnACleanStreamItGrowsOnlyWithJitter) {
  const JitterBufferOptions o = one_frame();
  {
    ManualClock clock;
    auto jb = make_jb(clock, o);
    auto stream = make_stream(2.0);
    std::stable_sort(stream.begin(), stream.end(), [](auto& a, auto& b) { return a.arrival_ms < b.arrival_ms; });
    size_t next = 0, decoded = 0;
    // Up to the last packet's pull (after it the buffer runs dry, which is not jitter).
    for (int t = 0; t < static_cast<int>(stream.size()) * 20; ++t) {
      while (next < stream.size() && stream[next].arrival_ms <= t) {
        ASSERT_TRUE(jb->push(stream[next].seq, stream[next].ts, stream[next].payload));
        ++next;
      }
      if (t % 20 == 7) {
        EXPECT_LE(jb->buffered(), 20ms) << "at " << t << " ms";
        if (jb->pull().source == FrameSource::kDecoded) {
          ++decoded;
          // Played at the first pull after it arrived: 7 ms after the packet, not a frame more.
          EXPECT_EQ(static_cast<int>(decoded - 1) * 20 + 7, t);
        }
      }
      clock.advance(1ms);
    }
    EXPECT_EQ(decoded, stream.size());
    EXPECT_EQ(jb->stats().concealed, 0u);
    EXPECT_EQ(jb->target_delay(), 20ms);
  }
  {
    ManualClock clock;
    auto jb = make_jb(clock, o);
    auto stream = jittered_stream(4.0, 50, 11);
    Playout p = run(*jb, clock, stream, 4300);
    EXPECT_GT(jb->target_delay(), 20ms);
    EXPECT_GE(p.count(FrameSource::kDecoded), stream.size() * 9 / 10);
  }
}

TEST(JitterBuffer, MemoryAndLatencyStayBounded) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto stream = make_stream(3.0);
  // 150 packets at once, nobody pulling.
  for (auto& p : stream) EXPECT_TRUE(jb->push(p.seq, p.ts, p.payload));
  EXPECT_LE(jb->buffered(), 220ms);
  EXPECT_GT(jb->stats().overflow_drops, 100u);
  // And it still plays what it kept.
  int decoded = 0;
  for (int i = 0; i < 20; ++i) {
    if (jb->pull().source == FrameSource::kDecoded) ++decoded;
    clock.advance(20ms);
  }
  EXPECT_GE(decoded, 2);
}

TEST(JitterBuffer, PauseThenResumeRebuffers) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto stream = make_stream(2.0);
  pause_before(stream, 31);  // muted for 1 s after packet 30
  Playout p = run(*jb, clock, stream, 3300);
  // Every packet played (the samples after the pause differ from an uninterrupted decoder's,
  // since PLC ran in between).
  EXPECT_EQ(p.count(FrameSource::kDecoded), stream.size());
  EXPECT_EQ(jb->stats().lost, 0u);
  EXPECT_EQ(jb->stats().resets, 0u);
  EXPECT_LE(jb->stats().concealed, 20u);  // short PLC tails (pause, end), then silence
  EXPECT_GT(jb->stats().silence, 40u);
}

// An agent sends nothing between its replies: each pause starts with an underrun, but the sender
// stopped, no packet was late, so the delay must not grow by a frame per reply.
TEST(JitterBuffer, PausesDoNotGrowTheDelay) {
  ManualClock clock;
  auto jb = make_jb(clock, one_frame());
  auto stream = make_stream(2.0);
  for (size_t pause : {25u, 50u, 75u}) pause_before(stream, pause);  // timestamps run on with the clock
  Playout p = run(*jb, clock, stream, 5300);
  EXPECT_EQ(p.count(FrameSource::kDecoded), stream.size());
  EXPECT_GE(jb->stats().underruns, 3u);
  EXPECT_EQ(jb->target_delay(), 20ms);
}

TEST(JitterBuffer, ANewTimestampBaseResets) {
  ManualClock clock;
  auto jb = make_jb(clock);
  auto first = make_stream(1.0, 100, 1000);
  auto second = make_stream(1.0, 40000, 2'000'000'000);
  for (auto& p : second) p.arrival_ms += 1300;  // after a pause
  std::vector<RtpPacket> all = first;
  all.insert(all.end(), second.begin(), second.end());
  Playout p = run(*jb, clock, all, 2600);
  EXPECT_EQ(jb->stats().resets, 1u);
  EXPECT_EQ(p.count(FrameSource::kDecoded), first.size() + second.size());
}

// DTX: during silence the sender skips the 1–2 byte packets; sequence numbers stay consecutive
// while timestamps jump. Nothing is lost and the speech after the silence plays.
TEST(JitterBuffer, DtxGapsAreNotLosses) {
  OpusEncoderOptions o;
  o.dtx = true;
  auto enc = OpusEncoder::create(o);
  auto voice = test::voice_like(48000, 0.6);
  std::vector<int16_t> pcm = voice;
  pcm.insert(pcm.end(), 48000, 0);  // 1 s of silence
  pcm.insert(pcm.end(), voice.begin(), voice.end());
  std::vector<RtpPacket> sent;
  uint16_t seq = 7;
  for (size_t i = 0; i + 960 <= pcm.size(); i += 960) {
    auto p = (*enc)->encode(AudioFrame::from_samples(48000, 1, std::span<const int16_t>(pcm).subspan(i, 960)));
    ASSERT_TRUE(p);
    if (is_dtx_packet(p->size())) continue;
    const int k = static_cast<int>(i / 960);
    sent.push_back({seq++, static_cast<uint32_t>(960 * k), std::move(*p), 20 * k});
  }
  ASSERT_LT(sent.size(), pcm.size() / 960 - 20);  // DTX did skip packets
  ManualClock clock;
  auto jb = make_jb(clock);
  Playout p = run(*jb, clock, sent, 2600);
  EXPECT_EQ(jb->stats().lost, 0u);
  EXPECT_EQ(jb->stats().late, 0u);
  EXPECT_EQ(p.count(FrameSource::kDecoded), sent.size());
  EXPECT_EQ(jb->stats().resets, 0u);
}

TEST(JitterBuffer, DecodesTo16kForSpeechRecognition) {
  ManualClock clock;
  JitterBufferOptions o;
  o.sample_rate = 16000;
  auto jb = make_jb(clock, o);
  auto stream = make_stream(0.5);
  for (auto& p : stream) ASSERT_TRUE(jb->push(p.seq, p.ts, p.payload));
  JitterFrame f = jb->pull();
  EXPECT_EQ(f.source, FrameSource::kDecoded);
  EXPECT_EQ(f.audio.sample_rate, 16000);
  EXPECT_EQ(f.audio.samples_per_channel, 320);
}

TEST(JitterBuffer, InvalidPayloadsAreRejected) {
  ManualClock clock;
  auto jb = make_jb(clock);
  EXPECT_FALSE(jb->push(1, 960, {}));
  std::vector<uint8_t> huge(2000, 0x78);
  EXPECT_FALSE(jb->push(1, 960, huge));
  std::vector<uint8_t> bad_toc{0x03};  // code 3 without its frame-count byte
  EXPECT_FALSE(jb->push(1, 960, bad_toc));
  EXPECT_EQ(jb->stats().invalid, 3u);
  EXPECT_EQ(jb->stats().received, 0u);
  EXPECT_EQ(jb->pull().source, FrameSource::kSilence);

  JitterBufferOptions o;
  o.min_delay = 100ms;
  o.max_delay = 50ms;
  EXPECT_FALSE(JitterBuffer::create(clock, o));
  o = {};
  o.frame = 15ms;
  EXPECT_FALSE(JitterBuffer::create(clock, o));
}

// ---- as received (the agent's recogniser: pull_ready() after each push, pull_due() per tick) ----

struct Received {
  std::vector<JitterFrame> frames;
  std::vector<int> at_ms;        // when each frame went out
  std::vector<int16_t> decoded;  // the samples of decoded frames, in order
  std::vector<int> decoded_at_ms;
  size_t count(FrameSource s) const {
    return static_cast<size_t>(std::count_if(frames.begin(), frames.end(), [&](auto& f) { return f.source == s; }));
  }
  // Frames out by `t` ms (inclusive).
  size_t out_by(int t) const { return static_cast<size_t>(std::upper_bound(at_ms.begin(), at_ms.end(), t) - at_ms.begin()); }
};

// Delivers each packet at its arrival time and takes what is ready at once; on a 20 ms tick
// (offset 7 ms from the sender's grid) takes what is overdue, as livekit/room/remote_audio.cpp does.
Received run_as_received(JitterBuffer& jb, ManualClock& clock, std::vector<RtpPacket> packets, int ms) {
  std::stable_sort(packets.begin(), packets.end(), [](auto& a, auto& b) { return a.arrival_ms < b.arrival_ms; });
  Received out;
  auto take = [&](JitterFrame f, int t) {
    EXPECT_EQ(f.audio.samples_per_channel, 960);
    if (f.source == FrameSource::kDecoded) {
      out.decoded.insert(out.decoded.end(), f.audio.data.begin(), f.audio.data.end());
      out.decoded_at_ms.push_back(t);
    }
    out.frames.push_back(std::move(f));
    out.at_ms.push_back(t);
  };
  auto drain = [&](int t) {
    while (auto f = jb.pull_ready()) take(std::move(*f), t);
  };
  size_t next = 0;
  for (int t = 0; t < ms; ++t) {
    while (next < packets.size() && packets[next].arrival_ms <= t) {
      EXPECT_TRUE(jb.push(packets[next].seq, packets[next].ts, packets[next].payload));
      ++next;
      drain(t);
    }
    if (t % 20 == 7) {
      drain(t);
      if (auto f = jb.pull_due()) {
        take(std::move(*f), t);
        drain(t);
      }
    }
    clock.advance(1ms);
  }
  return out;
}

// A sender that sends in bursts (the Python SDK's caller: issue 15) has each frame go out the
// moment its packet arrives, not one per tick behind a delay grown to the bursts.
TEST(JitterBufferAsReceived, BurstsGoOutAsTheyArrive) {
  ManualClock clock;
  auto jb = make_jb(clock, one_frame());
  auto stream = make_stream(2.0);
  for (size_t k = 0; k < stream.size(); ++k) stream[k].arrival_ms = static_cast<int>(k / 4 * 4 + 3) * 20;
  Received r = run_as_received(*jb, clock, stream, 2300);
  EXPECT_EQ(r.decoded, reference_decode(stream));
  ASSERT_EQ(r.decoded_at_ms.size(), stream.size());
  for (size_t k = 0; k < stream.size(); ++k) {
    EXPECT_EQ(r.decoded_at_ms[k], stream[k].arrival_ms) << "packet " << k << " held";
  }
  const size_t first = static_cast<size_t>(std::find_if(r.frames.begin(), r.frames.end(), [](auto& f) {
                                             return f.source == FrameSource::kDecoded;
                                           }) - r.frames.begin());
  for (size_t i = first; i < first + stream.size(); ++i) EXPECT_EQ(r.frames[i].source, FrameSource::kDecoded) << i;
  EXPECT_EQ(jb->stats().lost, 0u);

  // Paced, the same bursts wait: every burst's later frames one tick more each, and the delay grows.
  ManualClock paced_clock;
  auto paced = make_jb(paced_clock, one_frame());
  Playout p = run(*paced, paced_clock, stream, 2300);
  EXPECT_GT(paced->target_delay(), 20ms);
}

// A lost packet is waited for about a frame, as a playing buffer one frame deep would, then
// rebuilt (FEC or PLC); what follows it goes out at once.
TEST(JitterBufferAsReceived, ALostPacketIsWaitedForThenConcealed) {
  ManualClock clock;
  auto jb = make_jb(clock, one_frame());
  auto stream = make_stream(2.0, 1000, 123456, /*fec=*/true);
  stream.erase(stream.begin() + 30);
  Received r = run_as_received(*jb, clock, stream, 2300);
  EXPECT_EQ(r.count(FrameSource::kDecoded), stream.size());
  EXPECT_EQ(jb->stats().lost, 1u);
  EXPECT_EQ(jb->stats().fec_recovered, 1u) << "the packet after it carried it";
  // Packet 30 was due at 600 ms: waited for a frame (the target delay), given up on at the
  // first tick after that, with packet 31 here.
  const auto fec = std::find_if(r.frames.begin(), r.frames.end(), [](auto& f) { return f.source == FrameSource::kFec; });
  ASSERT_NE(fec, r.frames.end());
  EXPECT_EQ(r.at_ms[static_cast<size_t>(fec - r.frames.begin())], 627);
  for (size_t k = 30; k < stream.size(); ++k) EXPECT_EQ(r.decoded_at_ms[k], std::max(stream[k].arrival_ms, 627)) << k;
}

// While the sender is silent (muted, DTX, between utterances) the consumer still gets a frame per
// tick, so its silence is measured; and its audio never runs ahead of the clock.
TEST(JitterBufferAsReceived, SilenceIsPacedAndTheAudioNeverRunsAhead) {
  ManualClock clock;
  auto jb = make_jb(clock, one_frame());
  auto stream = make_stream(2.0);
  pause_before(stream, 31);  // muted for 1 s after packet 30
  Received r = run_as_received(*jb, clock, stream, 3300);
  EXPECT_EQ(r.count(FrameSource::kDecoded), stream.size());
  EXPECT_EQ(jb->stats().lost, 0u);
  // During the pause (620 … 1620 ms) one frame a tick, after a frame or two of waiting.
  EXPECT_GE(r.out_by(1600) - r.out_by(660), 46u);
  EXPECT_LE(r.out_by(1600) - r.out_by(660), 48u);
  for (int t = 0; t < 3300; t += 10) EXPECT_LE(r.out_by(t), static_cast<size_t>(t / 20 + 2)) << "at " << t << " ms";
  EXPECT_EQ(jb->target_delay(), 20ms) << "the pause was no late packet";
}

TEST(JitterBufferAsReceived, JitterGrowsTheWaitNotTheDelay) {
  ManualClock clock;
  auto jb = make_jb(clock, one_frame());
  auto stream = jittered_stream(4.0, 50, 11);
  Received r = run_as_received(*jb, clock, stream, 4300);
  EXPECT_GT(jb->target_delay(), 20ms);
  EXPECT_GE(r.count(FrameSource::kDecoded), stream.size() * 9 / 10);
  // A frame out of order would be heard as garbage: the decoded ones go out in timestamp order.
  EXPECT_TRUE(std::is_sorted(r.decoded_at_ms.begin(), r.decoded_at_ms.end()));
}

// 10 ms packets make a 20 ms frame only together: the first half alone is not handed out
// with its other half concealed.
TEST(JitterBufferAsReceived, HalfFramePacketsGoOutInPairs) {
  auto enc = OpusEncoder::create({});
  ASSERT_TRUE(enc);
  auto pcm = test::voice_like(48000, 0.1);
  ManualClock clock;
  auto jb = make_jb(clock, one_frame());
  for (uint16_t k = 0; k < 10; ++k) {
    auto p = (*enc)->encode(AudioFrame::from_samples(48000, 1, std::span<const int16_t>(pcm).subspan(480u * k, 480)));
    ASSERT_TRUE(p);
    ASSERT_TRUE(jb->push(k, 480u * k, *p));
    auto f = jb->pull_ready();
    EXPECT_EQ(f.has_value(), k % 2 == 1) << "packet " << k;
    if (f) {
      EXPECT_EQ(f->source, FrameSource::kDecoded);
    }
    EXPECT_FALSE(jb->pull_ready());
    clock.advance(10ms);
  }
  EXPECT_EQ(jb->stats().concealed, 0u);
}

}  // namespace
}  // namespace parley::media
