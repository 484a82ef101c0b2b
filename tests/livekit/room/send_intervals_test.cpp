// SendIntervals, the pacing histogram LocalAudioTrack keeps (bench/rooms reports its p99).
#include <gtest/gtest.h>

#include "livekit/room/room.h"

namespace parley::livekit {
namespace {

TEST(SendIntervals, EmptyHasNoQuantile) {
  SendIntervals s;
  EXPECT_EQ(s.count(), 0u);
  EXPECT_EQ(s.quantile_upper_ms(0.99), 0.0);
}

TEST(SendIntervals, QuantileIsTheUpperEdgeOfItsBucket) {
  SendIntervals s;
  s.ms[19] = 60;  // [19, 20) ms
  s.ms[20] = 39;  // [20, 21) ms
  s.ms[45] = 1;   // one late frame
  EXPECT_EQ(s.count(), 100u);
  EXPECT_EQ(s.quantile_upper_ms(0.5), 20.0);
  EXPECT_EQ(s.quantile_upper_ms(0.99), 21.0);
  EXPECT_EQ(s.quantile_upper_ms(1.0), 46.0);
}

TEST(SendIntervals, TheLastBucketHoldsEverythingLonger) {
  SendIntervals s;
  s.ms[20] = 98;
  s.ms[SendIntervals::kBuckets - 1] = 2;
  EXPECT_EQ(s.quantile_upper_ms(0.99), static_cast<double>(SendIntervals::kBuckets));
  EXPECT_EQ(s.quantile_upper_ms(0.98), 21.0);
}

}  // namespace
}  // namespace parley::livekit
