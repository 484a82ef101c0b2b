#include <gtest/gtest.h>

#include "voice/endpointing.h"

namespace parley::voice {
namespace {

using namespace std::chrono_literals;

TEST(Endpointing, FinishedWordsGetTheMinimumDelayAndUnfinishedOnesTheMaximum) {
  EndpointingOptions o;
  EXPECT_EQ(endpointing_delay("what are your opening hours", o), 500ms);
  EXPECT_EQ(endpointing_delay("I would like to ask about", o), 3000ms);
  EXPECT_EQ(endpointing_delay("my address is twelve and", o), 3000ms);
  EXPECT_EQ(endpointing_delay("well, um", o), 3000ms);
  EXPECT_EQ(endpointing_delay("so the thing is,", o), 3000ms);
  EXPECT_EQ(endpointing_delay("Сколько стоит приём и", o), 3000ms);
  EXPECT_EQ(endpointing_delay("Сколько стоит приём", o), 500ms);
  EXPECT_EQ(endpointing_delay("", o), 500ms);
  EXPECT_FALSE(looks_incomplete("And?"));  // a question mark ends it whatever the word
  o.max_delay = 100ms;                      // a max below the min never shortens the min
  EXPECT_EQ(endpointing_delay("and", o), 500ms);
}

}  // namespace
}  // namespace parley::voice
