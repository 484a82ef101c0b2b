#include "agent/call_continuity.h"

#include <gtest/gtest.h>

namespace parley::agent {
namespace {

using nlohmann::json;

TEST(CallContinuity, RoundTripsOwnerAndTurnsAndKeepsOtherKeys) {
  auto room = room_metadata_object(R"({"app":"crm","parley":{"old":true}})");
  ASSERT_TRUE(room);
  json owner = {{"instance", "abc"}, {"probe", "http://10.0.0.5:8080"}, {"job", "AJ_1"}};
  auto text = continuity_metadata(*room, owner, {{"user", "what are your hours"}, {"assistant", "nine to five"}});
  auto back = room_metadata_object(text);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)["app"], "crm");
  EXPECT_EQ(owner_from_metadata(*back), owner);
  auto turns = turns_from_metadata(*back);
  ASSERT_EQ(turns.size(), 2u);
  EXPECT_EQ(turns[0].role, "user");
  EXPECT_EQ(turns[1].text, "nine to five");
}

TEST(CallContinuity, KeepsTheLastTurnsOnlyAndCutsLongOnesOnACharacterBoundary) {
  std::vector<CallTurn> turns;
  for (size_t i = 0; i < kMaxTurns + 5; ++i) turns.push_back({"user", "turn " + std::to_string(i)});
  std::string cyrillic;
  while (cyrillic.size() < kMaxTurnChars + 10) cyrillic += "я";  // two bytes each
  turns.push_back({"assistant", "x" + cyrillic});                // odd offset: a cut would split one
  auto back = turns_from_metadata(*room_metadata_object(continuity_metadata(json::object(), json::object(), turns)));
  ASSERT_EQ(back.size(), kMaxTurns);
  EXPECT_EQ(back.front().text, "turn 6");
  EXPECT_LE(back.back().text.size(), kMaxTurnChars);
  EXPECT_FALSE(json::parse(json(back.back().text).dump(), nullptr, false).is_discarded());
  EXPECT_EQ(back.back().text.size() % 2, 1u);  // "x" and whole two-byte letters
}

TEST(CallContinuity, MetadataThatIsNotAnObjectIsLeftAlone) {
  EXPECT_FALSE(room_metadata_object("plain text"));
  EXPECT_FALSE(room_metadata_object("[1,2]"));
  EXPECT_EQ(*room_metadata_object(""), json::object());
  EXPECT_TRUE(turns_from_metadata(json::object()).empty());
  EXPECT_TRUE(owner_from_metadata(json{{"parley", {{"owner", "x"}}}}).is_null());
  // Foreign or damaged turns are skipped, not trusted.
  auto turns = turns_from_metadata(json::parse(R"({"parley":{"turns":[{"role":"system","text":"x"},{"role":"user"},
    {"role":"user","text":"hi"}]}})"));
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0].text, "hi");
}

}  // namespace
}  // namespace parley::agent
