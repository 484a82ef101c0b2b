// Which line a call is on: our number on it (sip.trunkPhoneNumber, in any spelling the bridge
// or the operator used), else its trunk (sip.trunkID), else the default language and chains.
#include "agent/call_line.h"

#include <gtest/gtest.h>

namespace parley::agent {
namespace {

Config lines() {
  Config c;
  c.agent.language = "en";
  CallLineConfig ru;
  ru.language = "ru";
  ru.stt = {"yandex", "pocketsphinx"};
  ru.llm = {"yandexgpt"};
  ru.tts = {"yandex", "espeak-ng"};
  c.agent.numbers["+74951234567"] = ru;
  CallLineConfig trunk;
  trunk.language = "ru";
  trunk.greeting = "Алло, это parley.";
  c.agent.trunks["ST_novofon"] = trunk;
  return c;
}

TEST(CallLine, ARussianNumberGetsTheRussianGreetingAndItsChains) {
  auto line = call_line(lines(), {{"sip.trunkPhoneNumber", "+74951234567"}, {"sip.trunkID", "ST_other"}});
  EXPECT_EQ(line.matched, "number");
  EXPECT_EQ(line.language, "ru");
  EXPECT_EQ(line.greeting, "Здравствуйте, вы говорите с parley. Чем могу помочь?");
  EXPECT_EQ(line.stt, (ProviderSet::Chain{"yandex", "pocketsphinx"}));
  EXPECT_EQ(line.llm, (ProviderSet::Chain{"yandexgpt"}));
  EXPECT_EQ(line.tts, (ProviderSet::Chain{"yandex", "espeak-ng"}));
}

TEST(CallLine, TheNumberMatchesInItsNationalSpellingToo) {
  EXPECT_EQ(call_line(lines(), {{"sip.trunkPhoneNumber", "84951234567"}}).language, "ru");
}

TEST(CallLine, ATrunkWithoutAListedNumberGivesItsLanguageAndOwnGreeting) {
  auto line = call_line(lines(), {{"sip.trunkPhoneNumber", "+74950000000"}, {"sip.trunkID", "ST_novofon"}});
  EXPECT_EQ(line.matched, "trunk");
  EXPECT_EQ(line.language, "ru");
  EXPECT_EQ(line.greeting, "Алло, это parley.");
  EXPECT_TRUE(line.stt.empty());  // the default chains
}

TEST(CallLine, AnyOtherCallKeepsTheEnglishDefaults) {
  for (const auto& attrs : std::vector<std::map<std::string, std::string>>{
           {}, {{"sip.trunkPhoneNumber", "+15550100"}, {"sip.trunkID", "ST_us"}}}) {
    auto line = call_line(lines(), attrs);
    EXPECT_EQ(line.matched, "default");
    EXPECT_EQ(line.language, "en");
    EXPECT_EQ(line.greeting, "Hello, you are speaking with parley. How can I help?");
    EXPECT_TRUE(line.stt.empty() && line.llm.empty() && line.tts.empty());
  }
}

}  // namespace
}  // namespace parley::agent
