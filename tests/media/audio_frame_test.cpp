#include "media/audio_frame.h"

#include <gtest/gtest.h>

#include <vector>

#include "media/secure_buffer.h"
#include "media/test_signal.h"

namespace parley::media {
namespace {

TEST(AudioFrame, SilenceHasTheFormatAndLength) {
  AudioFrame f = AudioFrame::silence(48000, 2, std::chrono::milliseconds(20));
  EXPECT_EQ(f.samples_per_channel, 960);
  EXPECT_EQ(f.data.size(), 1920u);
  EXPECT_TRUE(f.valid());
  EXPECT_EQ(f.duration(), std::chrono::milliseconds(20));
  EXPECT_EQ(samples_for(16000, std::chrono::milliseconds(10)), 160);
  EXPECT_EQ(samples_for(22050, std::chrono::milliseconds(20)), 441);
}

TEST(AudioFrame, FromSamplesDropsAPartialTrailingFrame) {
  std::vector<int16_t> s{1, 2, 3, 4, 5};
  AudioFrame f = AudioFrame::from_samples(8000, 2, s);
  EXPECT_EQ(f.samples_per_channel, 2);
  EXPECT_TRUE(f.valid());
  f.data.push_back(7);
  EXPECT_FALSE(f.valid());
}

TEST(AudioFrame, ToMonoAveragesChannels) {
  std::vector<int16_t> s{100, 300, -1000, 1000, 32767, 32767};
  AudioFrame mono = to_mono(AudioFrame::from_samples(48000, 2, s));
  EXPECT_EQ(mono.channels, 1);
  ASSERT_EQ(mono.data.size(), 3u);
  EXPECT_EQ(mono.data[0], 200);
  EXPECT_EQ(mono.data[1], 0);
  EXPECT_EQ(mono.data[2], 32767);
}

TEST(AudioFrame, LevelsFollowRfc6464) {
  std::vector<int16_t> silence(960, 0);
  EXPECT_EQ(rms(silence), 0.0);
  EXPECT_EQ(level_dbov(silence), -127.0);
  EXPECT_EQ(rtp_audio_level(silence), 127);

  // A full-scale square wave is 0 dBov by definition.
  std::vector<int16_t> square(960);
  for (size_t i = 0; i < square.size(); ++i) square[i] = (i / 24) % 2 ? 32767 : -32767;
  EXPECT_NEAR(level_dbov(square), 0.0, 0.01);
  EXPECT_EQ(rtp_audio_level(square), 0);

  // A sine is 3 dB below its peak; at 1/10 of full scale that is -23 dBov.
  auto sine = test::tone(48000, 1000, 0.02, 3276.8);
  EXPECT_NEAR(level_dbov(sine), -23.0, 0.1);
  EXPECT_EQ(rtp_audio_level(sine), 23);
}

TEST(SecureBuffer, SecureZeroWipesBytes) {
  std::vector<uint8_t> b(64, 0xAB);
  secure_zero(b.data(), b.size());
  for (uint8_t x : b) EXPECT_EQ(x, 0);
  secure_zero(nullptr, 10);  // no-op
}

TEST(SecureBuffer, VectorWorksLikeAVector) {
  SecureVector<int16_t> v;
  for (int i = 0; i < 10000; ++i) v.push_back(static_cast<int16_t>(i));  // several reallocations
  EXPECT_EQ(v.size(), 10000u);
  EXPECT_EQ(v[9999], 9999);
}

}  // namespace
}  // namespace parley::media
