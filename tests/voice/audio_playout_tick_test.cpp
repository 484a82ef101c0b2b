// The playout with the real pacing clock: media::SharedFrameTick (the media loop's shared 20 ms
// tick) pulling each playout's ring, as the rooms' tracks do, on virtual time. The one clock
// paces every call, and a barge-in at any instant stops the audio at the next tick.
#include <gtest/gtest.h>

#include <array>

#include "media/shared_frame_tick.h"
#include "support/manual_event_loop.h"
#include "voice/audio_playout.h"

namespace parley::voice {
namespace {

using namespace std::chrono_literals;

struct PulledCall {
  PulledCall(EventLoop& loop, media::SharedFrameTick& tick, const Clock& clock)
      : playout(loop, 48000, {}) {
    subscription = tick.subscribe([this, &clock] {
      if (playout.source()->pull()) sent.push_back(clock.now());
    });
  }
  AudioPlayout playout;
  std::vector<Clock::time_point> sent;
  TimerHandle subscription;
};

class AudioPlayoutOnTheTick : public ::testing::Test {
 protected:
  ManualClock clock;
  testing::ManualEventLoop loop{clock};
  std::shared_ptr<media::SharedFrameTick> tick = std::make_shared<media::SharedFrameTick>(loop, clock);
};

TEST_F(AudioPlayoutOnTheTick, OneClockPacesEveryCallAndNoCallArmsATimerOfItsOwn) {
  std::array<std::unique_ptr<PulledCall>, 3> calls;
  for (auto& c : calls) c = std::make_unique<PulledCall>(loop, *tick, clock);
  for (auto& c : calls) {
    c->playout.push(1, media::AudioFrame::silence(48000, 1, 2s));  // more than the ring holds
    c->playout.end_segment(1);
  }
  for (int i = 0; i < 100; ++i) {
    loop.advance(20ms);
    ASSERT_EQ(loop.pending_timers(), 1u) << "only the shared tick's timer, at " << i;
  }
  loop.advance(100ms);
  for (auto& c : calls) {
    ASSERT_EQ(c->sent.size(), 100u);
    // The tick's first turn comes 1 ms after it starts (its grid is anchored at the start);
    // from then on every 20 ms.
    for (size_t i = 2; i < c->sent.size(); ++i) EXPECT_EQ(c->sent[i] - c->sent[i - 1], 20ms) << i;
    EXPECT_TRUE(c->playout.idle());
  }
}

TEST_F(AudioPlayoutOnTheTick, BargeInStopsTheAudioAtTheNextTick) {
  PulledCall call(loop, *tick, clock);
  call.playout.push(1, media::AudioFrame::silence(48000, 1, 3s));
  call.playout.end_segment(1);
  loop.advance(1234ms);  // the decision falls between two ticks
  const auto decided = clock.now();
  const auto before = call.sent.size();
  call.playout.pause();
  loop.advance(1s);
  ASSERT_GT(before, 0u);
  EXPECT_EQ(call.sent.size(), before) << "a frame left after the barge-in";
  EXPECT_LE(decided - call.sent.back(), 20ms);
  EXPECT_EQ(call.playout.played_frames(1), static_cast<int>(before));
  // A false interruption: the reply goes on where it stopped, at the next tick.
  call.playout.resume();
  loop.advance(40ms);
  EXPECT_GT(call.sent.size(), before);
  EXPECT_LE(call.sent[before] - clock.now(), 0ms);
  call.playout.clear();
  const auto after_clear = call.sent.size();
  loop.advance(1s);
  EXPECT_EQ(call.sent.size(), after_clear);
  EXPECT_TRUE(call.playout.idle());
}

}  // namespace
}  // namespace parley::voice
