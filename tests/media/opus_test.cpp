#include <gtest/gtest.h>

#include <vector>

#include "media/opus_decoder.h"
#include "media/opus_encoder.h"
#include "media/test_signal.h"

namespace parley::media {
namespace {

constexpr int kRate = 48000;
constexpr size_t kFrame = 960;  // 20 ms

struct RoundTrip {
  std::vector<int16_t> decoded;
  std::vector<SecureVector<uint8_t>> packets;
};

RoundTrip round_trip(const std::vector<int16_t>& in, const OpusEncoderOptions& o) {
  RoundTrip rt;
  auto enc = OpusEncoder::create(o);
  auto dec = OpusDecoder::create(o.sample_rate, o.channels);
  EXPECT_TRUE(enc && dec);
  const size_t frame = kFrame * static_cast<size_t>(o.channels);
  for (size_t i = 0; i + frame <= in.size(); i += frame) {
    auto f = AudioFrame::from_samples(o.sample_rate, o.channels, std::span<const int16_t>(in).subspan(i, frame));
    auto packet = (*enc)->encode(f);
    EXPECT_TRUE(packet);
    AudioFrame out;
    EXPECT_TRUE((*dec)->decode(*packet, out));
    EXPECT_EQ(out.samples_per_channel, 960);
    rt.decoded.insert(rt.decoded.end(), out.data.begin(), out.data.end());
    rt.packets.push_back(std::move(*packet));
  }
  return rt;
}

class OpusComplexity : public ::testing::TestWithParam<int> {};

// The codec keeps the signal: after aligning for Opus's algorithmic delay (6.5 ms at 48 kHz,
// searched up to 20 ms), the decoded voice correlates with the input above 0.9.
TEST_P(OpusComplexity, RoundTripKeepsTheSignal) {
  OpusEncoderOptions o;
  o.complexity = GetParam();
  auto in = test::voice_like(kRate, 2.0);
  RoundTrip rt = round_trip(in, o);
  ASSERT_EQ(rt.decoded.size(), in.size());
  auto [lag, c] = test::best_alignment(in, rt.decoded, 960);
  EXPECT_GT(c, 0.9) << "lag " << lag;
  EXPECT_LT(lag, 480u);
  // 32 kb/s for 20 ms is 80 bytes on average.
  size_t bytes = 0;
  for (auto& p : rt.packets) bytes += p.size();
  const double kbps = static_cast<double>(bytes) * 8 / 2.0 / 1000.0;
  EXPECT_GT(kbps, 20.0);
  EXPECT_LT(kbps, 40.0);
}

INSTANTIATE_TEST_SUITE_P(Complexity, OpusComplexity, ::testing::Values(0, 5, 10));

TEST(Opus, StereoRoundTrip) {
  OpusEncoderOptions o;
  o.channels = 2;
  o.bitrate = 64000;
  auto mono = test::voice_like(kRate, 1.0);
  std::vector<int16_t> in(mono.size() * 2);
  for (size_t i = 0; i < mono.size(); ++i) {
    in[2 * i] = mono[i];
    in[2 * i + 1] = static_cast<int16_t>(mono[i] / 2);
  }
  RoundTrip rt = round_trip(in, o);
  std::vector<int16_t> left;
  for (size_t i = 0; i < rt.decoded.size(); i += 2) left.push_back(rt.decoded[i]);
  EXPECT_GT(test::best_alignment(mono, left, 960).second, 0.9);
}

TEST(Opus, DecodesAt16kDirectly) {
  OpusEncoderOptions o;
  auto in = test::voice_like(kRate, 1.0);
  auto enc = OpusEncoder::create(o);
  auto dec = OpusDecoder::create(16000, 1);
  ASSERT_TRUE(enc && dec);
  auto packet = (*enc)->encode(AudioFrame::from_samples(kRate, 1, std::span<const int16_t>(in).subspan(0, 960)));
  ASSERT_TRUE(packet);
  AudioFrame out;
  ASSERT_TRUE((*dec)->decode(*packet, out));
  EXPECT_EQ(out.sample_rate, 16000);
  EXPECT_EQ(out.samples_per_channel, 320);
  EXPECT_EQ(*(*dec)->packet_samples(*packet), 320);
}

// A lost frame: FEC from the next packet rebuilds it far better than PLC can guess it.
TEST(Opus, FecRecoversALostFrameBetterThanPlc) {
  OpusEncoderOptions o;
  o.fec = true;
  o.expected_loss_percent = 20;
  auto in = test::voice_like(kRate, 2.0);
  RoundTrip rt = round_trip(in, o);
  const size_t lost = 50;  // 1 s in

  auto decode_with = [&](bool fec) {
    auto dec = OpusDecoder::create();
    std::vector<int16_t> out;
    for (size_t k = 0; k < rt.packets.size(); ++k) {
      AudioFrame f;
      if (k == lost) {
        EXPECT_TRUE(fec ? (*dec)->decode_fec(rt.packets[k + 1], 960, f) : (*dec)->decode_lost(960, f));
      } else {
        EXPECT_TRUE((*dec)->decode(rt.packets[k], f));
      }
      EXPECT_EQ(f.samples_per_channel, 960);
      out.insert(out.end(), f.data.begin(), f.data.end());
    }
    return out;
  };
  auto with_fec = decode_with(true);
  auto with_plc = decode_with(false);
  auto [lag, c] = test::best_alignment(in, rt.decoded, 960);
  ASSERT_GT(c, 0.9);
  // Compare the lost frame's span against the original, aligned for codec delay.
  auto ref = std::span<const int16_t>(in).subspan(lost * kFrame, kFrame);
  auto fec_span = std::span<const int16_t>(with_fec).subspan(lost * kFrame + lag, kFrame);
  auto plc_span = std::span<const int16_t>(with_plc).subspan(lost * kFrame + lag, kFrame);
  const double c_fec = test::correlation(ref, fec_span);
  const double c_plc = test::correlation(ref, plc_span);
  EXPECT_GT(c_fec, 0.7) << "plc " << c_plc;
  EXPECT_GT(c_fec, c_plc);
}

TEST(Opus, PlcContinuesTheSignalAndFadesOut) {
  OpusEncoderOptions o;
  auto in = test::voice_like(kRate, 1.0);
  RoundTrip rt = round_trip(in, o);
  auto dec = OpusDecoder::create();
  AudioFrame f;
  for (size_t k = 0; k < 25; ++k) ASSERT_TRUE((*dec)->decode(rt.packets[k], f));
  ASSERT_TRUE((*dec)->decode_lost(960, f));
  EXPECT_EQ(f.samples_per_channel, 960);
  EXPECT_GT(rms(f.samples()), 100.0);  // not a hole
  const double first = rms(f.samples());
  double last = 0;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE((*dec)->decode_lost(960, f));
    last = rms(f.samples());
  }
  EXPECT_LT(last, first / 4) << "first " << first;  // fades out rather than buzzing on
}

TEST(Opus, DtxSendsTinyPacketsInSilence) {
  OpusEncoderOptions o;
  o.dtx = true;
  auto enc = OpusEncoder::create(o);
  ASSERT_TRUE(enc);
  int tiny = 0;
  for (int i = 0; i < 50; ++i) {
    auto p = (*enc)->encode(AudioFrame::silence(kRate, 1, std::chrono::milliseconds(20)));
    ASSERT_TRUE(p);
    if (is_dtx_packet(p->size())) ++tiny;
  }
  EXPECT_GT(tiny, 30);
}

TEST(Opus, RejectsBadInput) {
  OpusEncoderOptions o;
  o.sample_rate = 44100;
  EXPECT_FALSE(OpusEncoder::create(o));
  o = {};
  o.channels = 3;
  EXPECT_FALSE(OpusEncoder::create(o));
  o = {};
  o.complexity = 11;
  EXPECT_FALSE(OpusEncoder::create(o));
  o = {};
  o.bitrate = 100;
  EXPECT_FALSE(OpusEncoder::create(o));
  EXPECT_FALSE(OpusDecoder::create(44100, 1));
  EXPECT_FALSE(OpusDecoder::supports_rate(44100));
  for (int rate : {8000, 12000, 16000, 24000, 48000}) {
    EXPECT_TRUE(OpusDecoder::supports_rate(rate)) << rate;
    EXPECT_TRUE(OpusDecoder::create(rate, 1)) << rate;
  }

  auto enc = OpusEncoder::create({});
  ASSERT_TRUE(enc);
  // 15 ms is not an Opus frame size.
  auto bad = (*enc)->encode(AudioFrame::silence(kRate, 1, std::chrono::milliseconds(15)));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("not a 2.5/5/10/20/40/60 ms frame"), std::string::npos);
  EXPECT_FALSE((*enc)->encode(AudioFrame::silence(16000, 1, std::chrono::milliseconds(20))));
  EXPECT_FALSE((*enc)->set_bitrate(1));
  EXPECT_TRUE((*enc)->set_bitrate(24000));

  auto dec = OpusDecoder::create();
  ASSERT_TRUE(dec);
  AudioFrame f;
  EXPECT_FALSE((*dec)->decode({}, f));
  // TOC code 3 (arbitrary frame count) with a missing count byte: malformed.
  std::vector<uint8_t> garbage{0x03};
  auto st = (*dec)->decode(garbage, f);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE((*dec)->decode_lost(7, f));
  EXPECT_FALSE((*dec)->decode_lost(0, f));
  // The decoder still works after the bad packet.
  auto p = (*enc)->encode(AudioFrame::silence(kRate, 1, std::chrono::milliseconds(20)));
  ASSERT_TRUE(p);
  EXPECT_TRUE((*dec)->decode(*p, f));
}

}  // namespace
}  // namespace parley::media
