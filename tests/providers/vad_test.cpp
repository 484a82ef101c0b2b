#include <gtest/gtest.h>

#include <vector>

#include "providers/vad/webrtc_vad.h"

namespace parley::providers {
namespace {

TEST(WebRtcVad, ClassifiesFrames) {
  auto vad = WebRtcVad::create(3);
  ASSERT_TRUE(vad);
  std::vector<int16_t> silence(320, 0);
  auto r = (*vad)->is_speech(silence, 16000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_FALSE((*vad)->is_speech(std::vector<int16_t>(300), 16000));  // not 10/20/30 ms
  EXPECT_FALSE((*vad)->is_speech(silence, 22050));
  EXPECT_FALSE(WebRtcVad::create(4));
}

}  // namespace
}  // namespace parley::providers
