#include "core/backoff.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Backoff, StaysWithinTheExponentialCeilingAndTheCap) {
  Backoff b({5, Millis(100), Millis(1000)}, 42);
  for (int retry = 1; retry <= 8; ++retry) {
    long long ceiling = std::min<long long>(1000, 100LL << (retry - 1));
    for (int i = 0; i < 200; ++i) {
      auto d = b.delay(retry);
      EXPECT_GE(d.count(), 0);
      EXPECT_LE(d.count(), ceiling);
    }
  }
}

TEST(Backoff, JitterSpreadsTheWaits) {
  Backoff b({5, Millis(1000), Millis(10000)}, 7);
  long long lo = 1 << 30, hi = 0;
  for (int i = 0; i < 500; ++i) {
    long long d = b.delay(3).count();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_LT(lo, 1000);
  EXPECT_GT(hi, 3000);
}

TEST(Backoff, HonoursTheServersRetryAfter) {
  Backoff b({5, Millis(10), Millis(100)}, 1);
  EXPECT_GE(b.delay(1, Millis(400)).count(), 400);
}

}  // namespace
}  // namespace parley
