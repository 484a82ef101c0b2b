#include "core/duration.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

TEST(Duration, ParsesUnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("30s"), Millis(30'000));
  EXPECT_EQ(parse_duration("500ms"), Millis(500));
  EXPECT_EQ(parse_duration("1m30s"), Millis(90'000));
  EXPECT_EQ(parse_duration("2h"), Millis(7'200'000));
  EXPECT_EQ(parse_duration("30"), Millis(30'000));
  EXPECT_EQ(parse_duration("0.5"), Millis(500));
  EXPECT_EQ(parse_duration("-5s"), Millis(-5'000));
}

TEST(Duration, RejectsWhatIsNotADuration) {
  for (const char* bad : {"", "s", "10x", "abc", "1.2.3s", "5 s", "1s2", "-", "1e400s"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(Duration, FormatsTheShortestExactSpelling) {
  EXPECT_EQ(format_duration(Millis(30'000)), "30s");
  EXPECT_EQ(format_duration(Millis(90'000)), "1m30s");
  EXPECT_EQ(format_duration(Millis(250)), "250ms");
  EXPECT_EQ(format_duration(Millis(3'600'000)), "1h");
  EXPECT_EQ(format_duration(Millis(0)), "0s");
}

}  // namespace
}  // namespace parley
