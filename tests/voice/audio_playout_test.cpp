#include <gtest/gtest.h>

#include "support/eager_frame_tick.h"
#include "support/manual_event_loop.h"
#include "voice/audio_playout.h"

namespace parley::voice {
namespace {

using namespace std::chrono_literals;

// The playout feeds its ring; a stand-in for the media loop's tick (support/eager_frame_tick.h)
// pulls from it as the track would.
class AudioPlayoutTest : public ::testing::Test {
 protected:
  AudioPlayoutTest()
      : playout(loop, 16000,
                AudioPlayout::Handler{[this](uint64_t s, bool) { events.push_back("start " + std::to_string(s)); },
                                      [this](uint64_t s) { events.push_back("end " + std::to_string(s)); }}),
        tick(loop, clock, playout.source(), [this](const media::AudioFrame& f) {
          sent.push_back(clock.now());
          EXPECT_EQ(f.samples_per_channel, 320);
        }) {}
  media::AudioFrame audio(std::chrono::milliseconds d) { return media::AudioFrame::silence(16000, 1, d); }

  ManualClock clock;
  testing::ManualEventLoop loop{clock};
  std::vector<Clock::time_point> sent;
  std::vector<std::string> events;
  AudioPlayout playout;
  testing::EagerFrameTick tick;
};

TEST_F(AudioPlayoutTest, PacesOneFrameEvery20MsAndPadsTheTail) {
  auto t0 = clock.now();
  playout.push(1, audio(110ms));  // 5 whole frames + 10 ms
  playout.end_segment(1);
  loop.advance(1s);
  ASSERT_EQ(sent.size(), 6u);
  for (size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(sent[i] - t0, i * 20ms) << i;
  EXPECT_EQ(events, (std::vector<std::string>{"start 1", "end 1"}));
  EXPECT_TRUE(playout.idle());
}

TEST_F(AudioPlayoutTest, SegmentsPlayInOrderAndEmptyOnesStillStartAndEnd) {
  playout.push(1, audio(40ms));
  playout.end_segment(2);  // no audio (its TTS failed): comes after 1
  playout.push(3, audio(20ms));
  playout.end_segment(1);
  playout.end_segment(3);
  loop.advance(1s);
  EXPECT_EQ(events, (std::vector<std::string>{"start 1", "end 1", "start 2", "end 2", "start 3", "end 3"}));
  EXPECT_EQ(sent.size(), 3u);
}

TEST_F(AudioPlayoutTest, PauseStopsAtOnceAndResumeGoesOn) {
  playout.push(1, audio(200ms));
  playout.end_segment(1);
  loop.advance(50ms);  // frames at 0, 20, 40
  EXPECT_EQ(sent.size(), 3u);
  playout.pause();
  auto paused_at = clock.now();
  loop.advance(500ms);
  EXPECT_EQ(sent.size(), 3u);
  EXPECT_EQ(playout.played_frames(1), 3);
  EXPECT_EQ(playout.total_frames(1), 10);
  playout.resume();
  loop.advance(1s);
  EXPECT_EQ(sent.size(), 10u);
  EXPECT_EQ(sent[3], paused_at + 500ms);  // resumes at once, without a burst
  EXPECT_EQ(sent[4] - sent[3], 20ms);
}

TEST_F(AudioPlayoutTest, UnderrunWaitsForAudioWithoutBursting) {
  playout.push(1, audio(40ms));
  loop.advance(200ms);
  EXPECT_EQ(sent.size(), 2u);
  playout.push(1, audio(60ms));  // late TTS: plays from now on, paced
  playout.end_segment(1);
  loop.advance(200ms);
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[3] - sent[2], 20ms);
  EXPECT_EQ(sent[4] - sent[3], 20ms);
}

TEST_F(AudioPlayoutTest, ClearDropsEverything) {
  playout.push(1, audio(200ms));
  loop.advance(30ms);
  playout.clear();
  loop.advance(1s);
  EXPECT_EQ(sent.size(), 2u);
  EXPECT_TRUE(playout.idle());
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST_F(AudioPlayoutTest, AudioOfAnotherRateIsRefused) {
  playout.push(1, media::AudioFrame::silence(48000, 1, 20ms));
  playout.end_segment(1);
  loop.advance(100ms);
  EXPECT_EQ(sent.size(), 0u);
  EXPECT_EQ(events, (std::vector<std::string>{"start 1", "end 1"}));
}

}  // namespace
}  // namespace parley::voice
