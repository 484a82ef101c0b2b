#include "livekit/room/data_backlog.h"

#include <gtest/gtest.h>

namespace parley::livekit {
namespace {

TEST(DataBacklog, HoldsPacketsPerChannelInOrderUntilTaken) {
  DataBacklog b;
  EXPECT_FALSE(b.waiting("_reliable"));
  ASSERT_TRUE(b.hold("_reliable", "header"));
  ASSERT_TRUE(b.hold("_lossy", "x"));
  ASSERT_TRUE(b.hold("_reliable", "chunk"));
  EXPECT_TRUE(b.waiting("_reliable"));
  EXPECT_EQ(b.bytes(), 12u);
  EXPECT_EQ(b.take("_reliable"), (std::vector<std::string>{"header", "chunk"}));
  EXPECT_FALSE(b.waiting("_reliable"));
  EXPECT_TRUE(b.waiting("_lossy"));
  EXPECT_EQ(b.bytes(), 1u);
  EXPECT_TRUE(b.take("_reliable").empty());
}

TEST(DataBacklog, RefusesPastItsLimitAndNamesIt) {
  DataBacklog b(10);
  ASSERT_TRUE(b.hold("_reliable", "12345678"));
  auto r = b.hold("_reliable", "abc");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted);
  EXPECT_NE(r.error().message.find("'_reliable' has not opened"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("limit 10"), std::string::npos) << r.error().message;
  EXPECT_TRUE(b.hold("_reliable", "ab"));  // exactly at the limit
  b.clear();
  EXPECT_EQ(b.bytes(), 0u);
  EXPECT_FALSE(b.waiting("_reliable"));
}

}  // namespace
}  // namespace parley::livekit
