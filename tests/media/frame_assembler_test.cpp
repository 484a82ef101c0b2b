#include "media/frame_assembler.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace parley::media {
namespace {

TEST(FrameAssembler, CutsArbitraryChunksIntoWholeFrames) {
  FrameAssembler a(16000, 1, std::chrono::milliseconds(20));
  EXPECT_EQ(a.samples_per_frame(), 320);
  std::vector<int16_t> s(1000);
  std::iota(s.begin(), s.end(), 0);
  // Pushed in uneven pieces: 1, 99, 400, 500.
  ASSERT_TRUE(a.push(std::span<const int16_t>(s).subspan(0, 1)));
  ASSERT_TRUE(a.push(std::span<const int16_t>(s).subspan(1, 99)));
  EXPECT_FALSE(a.pop());
  ASSERT_TRUE(a.push(std::span<const int16_t>(s).subspan(100, 400)));
  ASSERT_TRUE(a.push(std::span<const int16_t>(s).subspan(500, 500)));
  std::vector<int16_t> got;
  while (auto f = a.pop()) {
    EXPECT_EQ(f->samples_per_channel, 320);
    got.insert(got.end(), f->data.begin(), f->data.end());
  }
  EXPECT_EQ(got.size(), 960u);
  EXPECT_EQ(a.pending_samples(), 40u);
  auto last = a.pop_padded();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->samples_per_channel, 320);
  got.insert(got.end(), last->data.begin(), last->data.begin() + 40);
  EXPECT_EQ(got, s);
  EXPECT_EQ(last->data[40], 0);
  EXPECT_FALSE(a.pop_padded());
}

TEST(FrameAssembler, RejectsAnotherFormat) {
  FrameAssembler a(48000, 2);
  std::vector<int16_t> odd(3);
  EXPECT_FALSE(a.push(odd));
  EXPECT_FALSE(a.push(AudioFrame::silence(16000, 2, std::chrono::milliseconds(20))));
  EXPECT_TRUE(a.push(AudioFrame::silence(48000, 2, std::chrono::milliseconds(20))));
  EXPECT_TRUE(a.pop());
}

}  // namespace
}  // namespace parley::media
