// The playground's limits on their own, on a hand-driven clock: tickets per minute, rooms open at
// once (live on the board, or handed out and not yet joined), and what a refusal says.
#include "console/playground_limit.h"

#include <gtest/gtest.h>

namespace parley::console {
namespace {

using namespace std::chrono_literals;
using Clock = PlaygroundLimiter::Clock;

TEST(PlaygroundLimiter, AtMostPerMinuteTicketsInAnySixtySeconds) {
  PlaygroundLimits limits{3, 100, 60s};
  PlaygroundLimiter l;
  auto t0 = Clock::time_point(1000s);
  for (int i = 0; i < 3; ++i) {
    ASSERT_FALSE(l.check(limits, t0 + i * 1s, {})) << i;
    l.opened("r" + std::to_string(i), t0 + i * 1s);
  }
  auto refused = l.check(limits, t0 + 10s, {});
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("console.playground_per_minute"), std::string::npos) << refused->message;
  EXPECT_EQ(refused->retry_after, 50);  // the first ticket leaves the window at t0 + 60 s
  EXPECT_TRUE(l.check(limits, t0 + 59s, {}));
  EXPECT_FALSE(l.check(limits, t0 + 60s, {}));  // one slot again
}

TEST(PlaygroundLimiter, RoomsOpenAtOnceCountLiveOnesAndTicketsNotYetJoined) {
  PlaygroundLimits limits{100, 2, 60s};
  PlaygroundLimiter l;
  auto t0 = Clock::time_point(1000s);
  ASSERT_FALSE(l.check(limits, t0, {}));
  l.opened("a", t0);
  ASSERT_FALSE(l.check(limits, t0 + 1s, {}));
  l.opened("b", t0 + 1s);
  // Two handed out, neither joined yet: both count.
  auto refused = l.check(limits, t0 + 2s, {});
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("console.playground_rooms"), std::string::npos) << refused->message;
  EXPECT_NE(refused->message.find("2 of 2"), std::string::npos) << refused->message;
  // "a" is live: still two open.
  EXPECT_TRUE(l.check(limits, t0 + 3s, {"a"}));
  // "a" ended (no longer live) and "b" still joining: one open.
  EXPECT_FALSE(l.check(limits, t0 + 4s, {}));
  // A live room never handed out here (another console, a reload) counts too.
  EXPECT_TRUE(l.check(limits, t0 + 5s, {"other"}));
  // "b" never joined: past the join window it stops counting.
  EXPECT_FALSE(l.check(limits, t0 + 62s, {"other"}));
}

}  // namespace
}  // namespace parley::console
