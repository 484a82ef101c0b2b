#include "service/rate_limiter.h"

#include <gtest/gtest.h>

namespace parley::service {
namespace {

TEST(RateLimiter, BurstThenRatePerAddress) {
  ManualClock clock;
  RateLimiter limiter(10, 5, clock);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1")) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
  EXPECT_TRUE(limiter.allow("10.0.0.2"));  // its own bucket
  clock.advance(std::chrono::milliseconds(100));  // one token at 10/s
  EXPECT_TRUE(limiter.allow("10.0.0.1"));
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
  clock.advance(std::chrono::seconds(10));  // refills up to the burst, not beyond
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1"));
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
}

TEST(RateLimiter, MemoryIsBoundedAndNewLimitsApply) {
  ManualClock clock;
  RateLimiter limiter(1, 2, clock, 100);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.allow("addr-" + std::to_string(i)));
  limiter.set_limits(1, 1);
  EXPECT_TRUE(limiter.allow("x"));
  EXPECT_FALSE(limiter.allow("x"));
}

}  // namespace
}  // namespace parley::service
