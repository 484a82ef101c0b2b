// parley serve raises its open-file soft limit to the hard limit at start.
#include "service/open_file_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace parley::service {
namespace {

TEST(OpenFileLimitTest, RaisesTheSoftLimitToTheHardLimit) {
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max <= 256) GTEST_SKIP() << "hard limit too low to lower from";
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  auto raised = raise_open_file_limit();
  rlimit now{};
  getrlimit(RLIMIT_NOFILE, &now);
  setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(raised) << raised.error().message;
  EXPECT_EQ(raised->before, 256u);
  EXPECT_EQ(raised->soft, now.rlim_cur);
  if (saved.rlim_max != RLIM_INFINITY) {
    EXPECT_EQ(now.rlim_cur, saved.rlim_max);
  }
  EXPECT_GT(now.rlim_cur, 256u);
}

}  // namespace
}  // namespace parley::service
