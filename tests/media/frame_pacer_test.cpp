#include "media/frame_pacer.h"

#include <gtest/gtest.h>

#include "core/clock.h"

namespace parley::media {
namespace {

using namespace std::chrono_literals;

TEST(FramePacer, OneFrameEvery20msWithoutDrift) {
  ManualClock clock;
  FramePacer p(clock);
  EXPECT_EQ(p.take_due(), 0);  // not started
  p.start();
  const auto t0 = clock.now();
  EXPECT_EQ(p.take_due(), 1);
  EXPECT_EQ(p.take_due(), 0);
  EXPECT_EQ(p.next_due(), t0 + 20ms);
  // A timer that always fires 3 ms late: still exactly one frame per 20 ms, no drift.
  for (int i = 1; i <= 500; ++i) {
    clock.advance(p.time_until_next() + 3ms);
    EXPECT_EQ(p.take_due(), 1) << i;
  }
  EXPECT_EQ(p.frames_sent(), 501u);
  EXPECT_EQ(p.next_due(), t0 + 501 * 20ms);
}

TEST(FramePacer, CatchesUpAfterALateWakeUp) {
  ManualClock clock;
  FramePacer p(clock);
  p.start();
  EXPECT_EQ(p.take_due(), 1);
  clock.advance(45ms);  // frames due at 20 and 40 ms
  EXPECT_EQ(p.take_due(), 2);
  EXPECT_EQ(p.time_until_next(), 15ms);
  EXPECT_EQ(p.resyncs(), 0u);
}

TEST(FramePacer, RestartsTheScheduleAfterAStall) {
  ManualClock clock;
  FramePacer p(clock, 20ms, 3);
  p.start();
  EXPECT_EQ(p.take_due(), 1);
  clock.advance(1s);  // 50 frames behind: send a short burst only
  EXPECT_EQ(p.take_due(), 3);
  EXPECT_EQ(p.resyncs(), 1u);
  EXPECT_EQ(p.time_until_next(), 20ms);
  clock.advance(20ms);
  EXPECT_EQ(p.take_due(), 1);
  p.stop();
  clock.advance(100ms);
  EXPECT_EQ(p.take_due(), 0);
}

}  // namespace
}  // namespace parley::media
