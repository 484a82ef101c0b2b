// G.711 µ-law decoding against values from the standard's table, and the level measure.
#include "media/g711.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace parley::media {
namespace {

TEST(G711, DecodesTheTablesEnds) {
  EXPECT_EQ(ulaw_to_linear(0xFF), 0);       // silence
  EXPECT_EQ(ulaw_to_linear(0x7F), 0);       // negative zero
  EXPECT_EQ(ulaw_to_linear(0x80), 32124);   // largest positive
  EXPECT_EQ(ulaw_to_linear(0x00), -32124);  // largest negative
  EXPECT_EQ(ulaw_to_linear(0xFE), 8);       // smallest step
  EXPECT_EQ(ulaw_to_linear(0xEF), 132);     // segment boundary
}

TEST(G711, DecodingIsMonotonicWithinASign) {
  for (int c = 0x80; c < 0xFF; ++c) EXPECT_GT(ulaw_to_linear(uint8_t(c)), ulaw_to_linear(uint8_t(c + 1)));
  for (int c = 0x00; c < 0x7F; ++c) EXPECT_LT(ulaw_to_linear(uint8_t(c)), ulaw_to_linear(uint8_t(c + 1)));
}

TEST(G711, RmsLevel) {
  std::vector<int16_t> silence(160, 0);
  EXPECT_EQ(rms_dbfs(silence), -120);
  std::vector<int16_t> sine(160);
  for (size_t i = 0; i < sine.size(); ++i) sine[i] = int16_t(std::lround(16384 * std::sin(2 * M_PI * 1000 * double(i) / 8000)));
  EXPECT_NEAR(rms_dbfs(sine), -9.03, 0.05);  // half scale sine: -6 dB, RMS another -3 dB
}

}  // namespace
}  // namespace parley::media
