#include "media/mono_resampler.h"

#include <gtest/gtest.h>

#include "media/test_signal.h"

namespace parley::media {
namespace {

// `seconds` of a 1 kHz tone at `rate` on every one of `channels`, pushed in 20 ms frames.
void push_tone(MonoResampler& r, int rate, int channels, double seconds, SecureVector<int16_t>& out) {
  auto tone = test::tone(rate, 1000.0, seconds);
  const size_t chunk = static_cast<size_t>(rate / 50);
  for (size_t i = 0; i < tone.size(); i += chunk) {
    std::vector<int16_t> interleaved;
    for (size_t j = i; j < std::min(i + chunk, tone.size()); ++j) interleaved.insert(interleaved.end(), channels, tone[j]);
    ASSERT_TRUE(r.push(AudioFrame::from_samples(rate, channels, interleaved), out));
  }
}

TEST(MonoResampler, StereoAtTheCallsRateBecomesMonoAtTheEnginesRate) {
  MonoResampler r(16000);
  SecureVector<int16_t> out;
  push_tone(r, 48000, 2, 1.0, out);
  ASSERT_TRUE(r.flush(out));
  EXPECT_EQ(r.input_rate(), 48000);
  EXPECT_NEAR(static_cast<double>(out.size()), 16000.0, 2.0);  // one second, one channel
  auto middle = std::span<const int16_t>(out).subspan(out.size() / 10, out.size() * 8 / 10);
  EXPECT_NEAR(test::zero_crossing_hz(middle, 16000), 1000.0, 2.0);
  EXPECT_NEAR(rms(middle), 7071.0, 150.0);  // the channels averaged, not summed
}

TEST(MonoResampler, ANewInputRateStartsANewResampler) {
  MonoResampler r(16000);
  SecureVector<int16_t> first, second;
  push_tone(r, 8000, 1, 0.5, first);
  push_tone(r, 48000, 1, 0.5, second);
  ASSERT_TRUE(r.flush(second));
  EXPECT_EQ(r.input_rate(), 48000);
  // What the 8 kHz filter held when the rate changed is flushed, not lost.
  EXPECT_NEAR(static_cast<double>(first.size() + second.size()), 16000.0, 4.0);
  auto middle = std::span<const int16_t>(second).subspan(second.size() / 10, second.size() * 8 / 10);
  EXPECT_NEAR(test::zero_crossing_hz(middle, 16000), 1000.0, 2.0);
}

TEST(MonoResampler, AnImpossibleRateIsAnError) {
  MonoResampler r(16000);
  SecureVector<int16_t> out;
  AudioFrame bad = AudioFrame::silence(16000, 1, std::chrono::milliseconds(20));
  bad.sample_rate = 0;
  EXPECT_FALSE(r.push(bad, out));
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace parley::media
