// FrameRing: what the consumer (the track's tick) sees of the producer's pushes, pauses and
// clears, pull by pull; and one run with a real producer thread and a real consumer thread.
#include "media/frame_ring.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace parley::media {
namespace {

using namespace std::chrono_literals;

AudioFrame frame(int16_t marker) {
  auto f = AudioFrame::silence(48000, 1, 20ms);
  f.samples()[0] = marker;
  return f;
}

std::string describe(const FrameRing::Event& e) {
  switch (e.kind) {
    case FrameRing::Event::kStarted: return "start " + std::to_string(e.segment) + (e.audible ? "" : " (silent)");
    case FrameRing::Event::kFinished: return "end " + std::to_string(e.segment);
    case FrameRing::Event::kRoom: return "room";
  }
  return "?";
}

class FrameRingTest : public ::testing::Test {
 protected:
  std::vector<std::string> events;
  FrameRing ring{[this](const FrameRing::Event& e) { events.push_back(describe(e)); }, 4};
};

TEST_F(FrameRingTest, FramesLeaveInOrderWithTheirSegmentsMarks) {
  ASSERT_TRUE(ring.push({frame(1), 7, true, false}));
  ASSERT_TRUE(ring.push({frame(2), 7, false, true}));
  ASSERT_TRUE(ring.push({AudioFrame{}, 8, true, true}));  // a segment without audio: marks only
  ASSERT_TRUE(ring.push({frame(3), 9, true, true}));
  EXPECT_FALSE(ring.push({frame(4), 9, false, false})) << "a full ring takes nothing";

  EXPECT_EQ(ring.pull()->samples()[0], 1);
  EXPECT_EQ(events, (std::vector<std::string>{"start 7"}));
  EXPECT_EQ(ring.pull()->samples()[0], 2);
  // The marks-only entry does not cost a tick: its marks go with the next frame.
  EXPECT_EQ(ring.pull()->samples()[0], 3);
  EXPECT_EQ(events, (std::vector<std::string>{"start 7", "end 7", "start 8 (silent)", "end 8", "start 9", "end 9"}));
  EXPECT_FALSE(ring.pull());
  EXPECT_EQ(ring.frames_pulled(), 3u);
  EXPECT_EQ(ring.last_pulled_seq(), 3u);
}

TEST_F(FrameRingTest, PauseStopsTheVeryNextPullAndResumeGoesOnWhereItStopped) {
  for (int16_t i = 1; i <= 4; ++i) ASSERT_TRUE(ring.push({frame(i), 1, i == 1, i == 4}));
  EXPECT_EQ(ring.pull()->samples()[0], 1);
  ring.pause();
  EXPECT_FALSE(ring.pull());
  EXPECT_FALSE(ring.pull());
  EXPECT_EQ(ring.queued(), 3u) << "paused audio is kept";
  ring.resume();
  EXPECT_EQ(ring.pull()->samples()[0], 2);
}

TEST_F(FrameRingTest, ClearDropsWhatIsQueuedAndItsMarksAndTheNewAudioPlays) {
  ASSERT_TRUE(ring.push({frame(1), 1, true, false}));
  ASSERT_TRUE(ring.push({frame(2), 1, false, true}));
  const auto generation = ring.clear();
  ASSERT_TRUE(ring.push({frame(3), 2, true, true}));
  EXPECT_EQ(ring.pull()->samples()[0], 3);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events, (std::vector<std::string>{"start 2", "end 2"}));
  EXPECT_EQ(ring.generation(), generation);
  EXPECT_EQ(ring.frames_pulled(), 1u);
}

TEST_F(FrameRingTest, AsksTheProducerForMoreOnceItHasDrainedToHalf) {
  for (int16_t i = 1; i <= 4; ++i) ASSERT_TRUE(ring.push({frame(i), 1}));
  ring.want_room();
  ASSERT_TRUE(ring.pull());  // 3 left: more than half
  EXPECT_TRUE(events.empty());
  ASSERT_TRUE(ring.pull());  // 2 left: half
  EXPECT_EQ(events, (std::vector<std::string>{"room"}));
  ASSERT_TRUE(ring.pull());
  EXPECT_EQ(events.size(), 1u) << "once per request, not once per frame";
}

TEST_F(FrameRingTest, ReadyHookWakesASleepingConsumerWhenAudioComesOrAPauseEnds) {
  int woken = 0;
  ring.set_ready_hook([&] { ++woken; });
  ASSERT_TRUE(ring.push({frame(1), 1}));
  ASSERT_TRUE(ring.push({frame(2), 1}));
  EXPECT_EQ(woken, 1) << "only the push into an empty ring";
  ring.pause();
  ring.resume();
  EXPECT_EQ(woken, 2);
}

// A producer thread and a consumer thread, as the call's loop and the media loop: every frame
// arrives once, in order (run under ThreadSanitizer in the threaded tests).
TEST(FrameRingThreads, EveryFrameCrossesOnceInOrder) {
  constexpr int kFrames = 20000;
  FrameRing ring({}, 16);
  std::thread producer([&] {
    for (int i = 0; i < kFrames;) {
      if (ring.push({frame(static_cast<int16_t>(i % 30000)), 1})) ++i;
      else std::this_thread::yield();
    }
  });
  int next = 0;
  while (next < kFrames) {
    if (auto f = ring.pull()) {
      ASSERT_EQ(f->samples()[0], static_cast<int16_t>(next % 30000));
      ASSERT_EQ(f->samples_per_channel, 960);
      ++next;
    } else {
      std::this_thread::yield();
    }
  }
  producer.join();
  EXPECT_FALSE(ring.pull());
  EXPECT_EQ(ring.frames_pulled(), static_cast<uint64_t>(kFrames));
}

}  // namespace
}  // namespace parley::media
