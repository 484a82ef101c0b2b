#include "media/resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "media/test_signal.h"

namespace parley::media {
namespace {

class ResamplerTone : public ::testing::TestWithParam<std::tuple<int, int>> {};

// Streams a 1 kHz tone through in 20 ms chunks, flushes, and checks the output's length and
// frequency: the tone must stay at 1 kHz and no sample may be lost or invented.
TEST_P(ResamplerTone, KeepsFrequencyAndLength) {
  const auto [in_rate, out_rate] = GetParam();
  auto r = Resampler::create(in_rate, out_rate, 1);
  ASSERT_TRUE(r) << r.error().to_string();
  const double seconds = 1.0;
  auto in = test::tone(in_rate, 1000.0, seconds);
  SecureVector<int16_t> out;
  const size_t chunk = static_cast<size_t>(in_rate / 50);
  for (size_t i = 0; i < in.size(); i += chunk) {
    auto part = std::span<const int16_t>(in).subspan(i, std::min(chunk, in.size() - i));
    ASSERT_TRUE((*r)->process(part, out));
  }
  ASSERT_TRUE((*r)->flush(out));
  const double expected = seconds * out_rate;
  EXPECT_NEAR(static_cast<double>(out.size()), expected, 2.0);
  // Skip the filter's start and end transients.
  auto middle = std::span<const int16_t>(out).subspan(out.size() / 10, out.size() * 8 / 10);
  EXPECT_NEAR(test::zero_crossing_hz(middle, out_rate), 1000.0, 2.0);
  // Amplitude kept (a 10000-peak sine has RMS 7071).
  EXPECT_NEAR(rms(middle), 7071.0, 150.0);
}

INSTANTIATE_TEST_SUITE_P(Rates, ResamplerTone,
                         ::testing::Values(std::make_tuple(48000, 16000), std::make_tuple(16000, 48000),
                                           std::make_tuple(8000, 16000), std::make_tuple(16000, 8000),
                                           std::make_tuple(22050, 48000), std::make_tuple(48000, 22050),
                                           std::make_tuple(22050, 16000), std::make_tuple(48000, 48000)));

TEST(Resampler, RemovesWhatTheNewRateCannotCarry) {
  // 6 kHz is above the 4 kHz Nyquist frequency of 8 kHz audio: it must be filtered, not aliased
  // to 2 kHz.
  auto r = Resampler::create(48000, 8000, 1);
  ASSERT_TRUE(r);
  auto in = test::tone(48000, 6000.0, 0.5);
  SecureVector<int16_t> out;
  ASSERT_TRUE((*r)->process(in, out));
  ASSERT_TRUE((*r)->flush(out));
  EXPECT_LT(rms(out), 100.0);
}

TEST(Resampler, StereoFramesStayInterleaved) {
  auto r = Resampler::create(48000, 16000, 2);
  ASSERT_TRUE(r);
  auto left = test::tone(48000, 500.0, 0.2);
  auto right = test::tone(48000, 1500.0, 0.2);
  std::vector<int16_t> in(left.size() * 2);
  for (size_t i = 0; i < left.size(); ++i) {
    in[2 * i] = left[i];
    in[2 * i + 1] = right[i];
  }
  auto frame = (*r)->process(AudioFrame::from_samples(48000, 2, in));
  ASSERT_TRUE(frame);
  SecureVector<int16_t> all = frame->data;
  ASSERT_TRUE((*r)->flush(all));
  std::vector<int16_t> l, rr;
  for (size_t i = 0; i + 1 < all.size(); i += 2) {
    l.push_back(all[i]);
    rr.push_back(all[i + 1]);
  }
  EXPECT_NEAR(test::zero_crossing_hz(std::span<const int16_t>(l).subspan(400, 2000), 16000), 500.0, 3.0);
  EXPECT_NEAR(test::zero_crossing_hz(std::span<const int16_t>(rr).subspan(400, 2000), 16000), 1500.0, 3.0);
}

TEST(Resampler, FlushThenANewStream) {
  auto r = Resampler::create(16000, 48000, 1);
  ASSERT_TRUE(r);
  for (int round = 0; round < 2; ++round) {
    auto in = test::tone(16000, 440.0, 0.1);
    SecureVector<int16_t> out;
    ASSERT_TRUE((*r)->process(in, out));
    ASSERT_TRUE((*r)->flush(out));
    EXPECT_NEAR(static_cast<double>(out.size()), 4800.0, 2.0) << round;
  }
}

TEST(Resampler, RejectsBadArguments) {
  EXPECT_FALSE(Resampler::create(0, 16000, 1));
  EXPECT_FALSE(Resampler::create(16000, -1, 1));
  EXPECT_FALSE(Resampler::create(16000, 1'000'000, 1));
  EXPECT_FALSE(Resampler::create(16000, 8000, 0));
  EXPECT_FALSE(Resampler::create(16000, 8000, 9));
  auto r = Resampler::create(48000, 16000, 2);
  ASSERT_TRUE(r);
  std::vector<int16_t> odd(3);
  SecureVector<int16_t> out;
  EXPECT_FALSE((*r)->process(odd, out));
  auto wrong = (*r)->process(AudioFrame::silence(16000, 2, std::chrono::milliseconds(20)));
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("expected 48000 Hz"), std::string::npos) << wrong.error().message;
}

}  // namespace
}  // namespace parley::media
