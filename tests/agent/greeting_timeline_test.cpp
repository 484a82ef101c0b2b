#include "agent/greeting_timeline.h"

#include <gtest/gtest.h>

#include "core/metrics.h"

namespace parley::agent {
namespace {

using namespace std::chrono_literals;

// A greeting reply as the pipeline times it: the TTS's first audio after `tts`, the first frame
// `pacing` after that.
voice::TurnWaterfall greeting_reply(ManualClock& clock, std::chrono::milliseconds tts, std::chrono::milliseconds pacing) {
  voice::TurnWaterfall w(clock.now());
  w.mark(voice::Hop::kFirstSentence, clock.now());
  clock.advance(tts);
  w.mark(voice::Hop::kTts, clock.now());
  clock.advance(pacing);
  w.mark(voice::Hop::kPacing, clock.now());
  return w;
}

TEST(GreetingTimeline, EveryHopFromTheWebhookToTheFirstFrameAddsUpToTheTotal) {
  ManualClock clock;
  auto received = clock.wall();
  clock.advance(3ms);
  GreetingTimeline t(received, clock.wall());
  clock.advance(250ms);
  t.joined(clock.wall());
  clock.advance(40ms);
  t.subscribed(clock.wall());
  EXPECT_FALSE(t.complete());
  auto reply = greeting_reply(clock, 60ms, 1ms);
  t.audible(clock.wall(), reply);
  ASSERT_TRUE(t.complete());
  auto hops = t.hops();
  const std::vector<std::pair<std::string, double>> want = {
      {"admission", 0.003}, {"join", 0.25}, {"subscribe", 0.04}, {"synthesis", 0.06}, {"first_frame", 0.001}};
  ASSERT_EQ(hops.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(hops[i].hop, want[i].first);
    EXPECT_NEAR(hops[i].seconds, want[i].second, 1e-6) << want[i].first;
  }
  EXPECT_NEAR(t.total(), 0.354, 1e-6);
  auto j = t.to_json();
  EXPECT_NEAR(j["total"].get<double>(), 0.354, 1e-6);
  EXPECT_NEAR(j["hops"]["join"].get<double>(), 0.25, 1e-6);
  EXPECT_NEAR(j["first_frame_unix"].get<double>(), std::chrono::duration<double>(clock.wall().time_since_epoch()).count(), 1e-6);
  t.observe();
  auto text = metrics::registry().render();
  EXPECT_NE(text.find("parley_greeting_hop_seconds_count{hop=\"synthesis\"}"), std::string::npos);
  EXPECT_NE(text.find("parley_greeting_seconds_count"), std::string::npos);
}

TEST(GreetingTimeline, WithoutAWebhookItStartsAtAdmissionAndACallerSeenBeforeTheJoinIsAZeroHop) {
  ManualClock clock;
  GreetingTimeline t(std::nullopt, clock.wall());
  clock.advance(10ms);
  t.subscribed(clock.wall());
  clock.advance(90ms);
  t.joined(clock.wall());
  t.joined(clock.wall() + 1s);  // the first mark counts
  auto reply = greeting_reply(clock, 20ms, 0ms);
  t.audible(clock.wall(), reply);
  auto hops = t.hops();
  ASSERT_EQ(hops.size(), 4u);
  EXPECT_EQ(hops[0].hop, "join");
  EXPECT_NEAR(hops[0].seconds, 0.1, 1e-6);
  EXPECT_EQ(hops[1].hop, "subscribe");
  EXPECT_DOUBLE_EQ(hops[1].seconds, 0);
  for (const auto& h : hops) EXPECT_GE(h.seconds, 0);
  EXPECT_NEAR(t.total(), 0.12, 1e-6);
}

}  // namespace
}  // namespace parley::agent
