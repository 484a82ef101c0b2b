// RejoinSchedule: how a room spaces its full rejoins after the server went away.
#include <gtest/gtest.h>

#include <algorithm>

#include "livekit/room/rejoin_schedule.h"

namespace parley::livekit {
namespace {

TEST(RejoinSchedule, GivesUpAfterTheConfiguredTries) {
  RejoinSchedule s(rejoin_policy(3), 1);
  s.start();                                    // try 1
  EXPECT_TRUE(s.next_after_failure());          // try 1 failed: try 2 follows
  EXPECT_TRUE(s.next_after_failure());          // try 2 failed: try 3 follows
  EXPECT_FALSE(s.next_after_failure());         // try 3 failed: no more
  s.start();                                    // a later rejoin has every try again
  EXPECT_TRUE(s.next_after_failure());
}

TEST(RejoinSchedule, WaitsGrowExponentiallyUpToTheCap) {
  // Full jitter: wait k lies in [0, min(10 s, 0.5 s * 2^(k-1))]. Over many schedules the longest
  // wait seen at each retry reaches close to that ceiling (not 0.5 s * k, as a linear one would).
  const long long ceilings[] = {500, 1'000, 2'000, 4'000, 8'000, 10'000, 10'000};
  long long longest[7] = {};
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    RejoinSchedule s(rejoin_policy(8), seed);
    s.start();
    for (int k = 0; k < 7; ++k) {
      auto wait = s.next_after_failure();
      ASSERT_TRUE(wait) << "retry " << k + 1;
      EXPECT_GE(wait->count(), 0);
      EXPECT_LE(wait->count(), ceilings[k]) << "retry " << k + 1;
      longest[k] = std::max(longest[k], static_cast<long long>(wait->count()));
    }
    EXPECT_FALSE(s.next_after_failure());
  }
  for (int k = 0; k < 7; ++k) EXPECT_GT(longest[k], ceilings[k] * 9 / 10) << "retry " << k + 1;
}

TEST(RejoinSchedule, OneTryMeansNoRetry) {
  RejoinSchedule s(rejoin_policy(1), 1);
  s.start();
  EXPECT_FALSE(s.next_after_failure());
}

}  // namespace
}  // namespace parley::livekit
