#include "media/narrowband_line.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

#include "media/resampler.h"

namespace parley::media {
namespace {

constexpr int kRate = NarrowbandLine::kRate;

// Loud white noise at 16 kHz: energy up to 8 kHz, like a wideband line's fricatives.
std::vector<int16_t> wideband_noise(double seconds, unsigned seed = 7) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> d(0, 3000);
  std::vector<int16_t> v(static_cast<size_t>(seconds * kRate));
  for (auto& s : v) s = static_cast<int16_t>(std::clamp(d(gen), -32000.0, 32000.0));
  return v;
}

// The same through a telephone line's rate and back: nothing above 4 kHz.
std::vector<int16_t> narrowband(const std::vector<int16_t>& wide) {
  auto down = Resampler::convert(AudioFrame::from_samples(kRate, 1, wide), 8000, ResamplerQuality::kHigh);
  EXPECT_TRUE(down);
  auto up = Resampler::convert(*down, kRate, ResamplerQuality::kHigh);
  EXPECT_TRUE(up);
  return {up->data.begin(), up->data.end()};
}

std::vector<int16_t> feed(NarrowbandLine& line, const std::vector<int16_t>& pcm) {
  std::vector<int16_t> out;
  for (size_t i = 0; i < pcm.size(); i += 320) {  // 20 ms at a time, as a call's frames come
    const size_t n = std::min<size_t>(320, pcm.size() - i);
    auto heard = line.process(std::span(pcm).subspan(i, n));
    out.insert(out.end(), heard.begin(), heard.end());
  }
  return out;
}

// Power of `pcm` at `hz` (a single DFT bin over the whole signal).
double power_at(const std::vector<int16_t>& pcm, double hz) {
  std::complex<double> acc;
  for (size_t n = 0; n < pcm.size(); ++n) acc += double(pcm[n]) * std::polar(1.0, -2 * std::numbers::pi * hz * n / kRate);
  return std::norm(acc);
}

TEST(NarrowbandLine, AWidebandLineIsLeftAsItIs) {
  NarrowbandLine line;
  const auto wide = wideband_noise(1.0);
  EXPECT_EQ(feed(line, wide), wide);
  EXPECT_EQ(line.kind(), NarrowbandLine::Kind::kWideband);
}

TEST(NarrowbandLine, ATelephoneLineIsFoundInHalfASecondOfSpeech) {
  NarrowbandLine line;
  const auto pcm = narrowband(wideband_noise(1.0));
  feed(line, std::vector<int16_t>(pcm.begin(), pcm.begin() + kRate * 4 / 10));
  EXPECT_EQ(line.kind(), NarrowbandLine::Kind::kUnknown) << "0.4 s is not enough to tell";
  feed(line, std::vector<int16_t>(pcm.begin() + kRate * 4 / 10, pcm.end()));
  EXPECT_EQ(line.kind(), NarrowbandLine::Kind::kNarrowband);
}

TEST(NarrowbandLine, QuietAudioDecidesNothing) {
  // A line's idle noise, even wideband, is not speech to measure by.
  auto quiet = wideband_noise(3.0);
  for (auto& s : quiet) s = static_cast<int16_t>(s / 100);
  NarrowbandLine line;
  EXPECT_EQ(feed(line, quiet), quiet);
  EXPECT_EQ(line.kind(), NarrowbandLine::Kind::kUnknown);
}

TEST(NarrowbandLine, ATelephoneLinesBandIsMirroredAbove4kHzTenDecibelsDown) {
  // A known telephone line (the call's earlier utterance found it) folds from the first sample.
  NarrowbandLine line(NarrowbandLine::Kind::kNarrowband);
  std::vector<int16_t> tone(kRate / 2);
  for (size_t n = 0; n < tone.size(); ++n) tone[n] = static_cast<int16_t>(8000 * std::sin(2 * std::numbers::pi * 1000 * n / kRate));
  const auto heard = feed(line, tone);
  const double image_db = 10 * std::log10(power_at(heard, 7000) / power_at(heard, 1000));
  EXPECT_NEAR(image_db, 20 * std::log10(0.3), 0.5) << "the 1 kHz tone's image at 7 kHz";
  EXPECT_NEAR(power_at(heard, 1000) / power_at(tone, 1000), 1.0, 0.01) << "the band itself is kept";
}

TEST(NarrowbandLine, TheImageRunsOnAcrossOddChunks) {
  // Chunks of odd length must not flip the image's phase (a click at every chunk).
  NarrowbandLine whole(NarrowbandLine::Kind::kNarrowband), chunked(NarrowbandLine::Kind::kNarrowband);
  const auto pcm = narrowband(wideband_noise(0.2));
  const auto a = whole.process(pcm);
  const std::vector<int16_t> expected(a.begin(), a.end());
  std::vector<int16_t> got;
  for (size_t i = 0; i < pcm.size(); i += 77) {
    auto part = chunked.process(std::span(pcm).subspan(i, std::min<size_t>(77, pcm.size() - i)));
    got.insert(got.end(), part.begin(), part.end());
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace parley::media
