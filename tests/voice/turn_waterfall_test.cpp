#include "voice/turn_waterfall.h"

#include <gtest/gtest.h>

namespace parley::voice {
namespace {

using namespace std::chrono_literals;

TEST(TurnWaterfall, HopsRunFromMarkToMarkAndAddUpToTheTotal) {
  ManualClock clock;
  TurnWaterfall w(clock.now());
  clock.advance(180ms);
  w.mark(Hop::kVad, clock.now());
  clock.advance(30ms);
  w.mark(Hop::kStt, clock.now());
  clock.advance(290ms);
  w.mark(Hop::kEndpointing, clock.now());
  clock.advance(2ms);
  w.mark(Hop::kLlm, clock.now());
  w.mark(Hop::kFirstSentence, clock.now());
  clock.advance(45ms);
  w.mark(Hop::kTts, clock.now());
  clock.advance(20ms);
  w.mark(Hop::kPacing, clock.now());
  auto hops = w.hops();
  ASSERT_EQ(hops.size(), kHopCount);
  const std::vector<std::pair<std::string, double>> want = {{"vad", 0.18}, {"stt", 0.03}, {"endpointing", 0.29}, {"llm", 0.002},
                                                             {"first_sentence", 0}, {"tts", 0.045}, {"pacing", 0.02}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(hops[i].hop, want[i].first);
    EXPECT_NEAR(hops[i].seconds, want[i].second, 1e-9) << want[i].first;
  }
  EXPECT_NEAR(*w.total(), 0.567, 1e-9);
  EXPECT_EQ(to_json(hops).dump(), R"({"endpointing":0.29,"first_sentence":0.0,"llm":0.002,"pacing":0.02,"stt":0.03,"tts":0.045,"vad":0.18})");
}

TEST(TurnWaterfall, HopsNeverReachedAreSkippedAndTheNextOneStartsAtTheLastMark) {
  // A greeting: no caller speech, no LLM; the first sentence is there at once.
  ManualClock clock;
  TurnWaterfall w(clock.now());
  w.mark(Hop::kFirstSentence, clock.now());
  clock.advance(60ms);
  w.mark(Hop::kTts, clock.now());
  clock.advance(5ms);
  w.mark(Hop::kPacing, clock.now());
  auto hops = w.hops();
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[1].hop, "tts");
  EXPECT_NEAR(hops[1].seconds, 0.06, 1e-9);
  EXPECT_NEAR(*w.total(), 0.065, 1e-9);
  EXPECT_FALSE(w.reached(Hop::kLlm));
  EXPECT_TRUE(w.reached(Hop::kPacing));
}

TEST(TurnWaterfall, TheFirstMarkOfAHopCountsAndAnEarlyMarkIsAZeroHop) {
  ManualClock clock;
  auto start = clock.now();
  TurnWaterfall w(start);
  EXPECT_FALSE(w.total());
  clock.advance(200ms);
  w.mark(Hop::kVad, clock.now());
  // A recogniser that had its text before the VAD called the speech over.
  w.mark(Hop::kStt, start + 100ms);
  clock.advance(300ms);
  w.mark(Hop::kEndpointing, clock.now());
  clock.advance(1s);
  w.mark(Hop::kEndpointing, clock.now());  // later marks do not move it
  auto hops = w.hops();
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_DOUBLE_EQ(hops[1].seconds, 0);
  EXPECT_NEAR(hops[2].seconds, 0.3, 1e-9);
  for (const auto& h : hops) EXPECT_GE(h.seconds, 0);
  EXPECT_NEAR(*w.total(), 0.5, 1e-9);
}

}  // namespace
}  // namespace parley::voice
