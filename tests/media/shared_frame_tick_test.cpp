// SharedFrameTick on a ManualEventLoop: the schedule, cancellation and lifetime checked tick by
// tick, the same way every run. One test keeps a real GlibLoop for what only a real loop shows:
// the tick is shared per loop and subscriptions cancel across threads.
#include "media/shared_frame_tick.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <future>
#include <thread>

#include "core/glib_loop.h"
#include "support/manual_event_loop.h"

namespace parley::media {
namespace {

using namespace std::chrono_literals;

// Runs fn on the loop's thread and waits for it.
template <class F>
auto on_loop(GlibLoop& loop, F fn) {
  std::promise<decltype(fn())> p;
  loop.post([&] {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      p.set_value();
    } else {
      p.set_value(fn());
    }
  });
  return p.get_future().get();
}

class SharedFrameTickTest : public ::testing::Test {
 protected:
  ManualClock clock;
  testing::ManualEventLoop loop{clock};
  std::shared_ptr<SharedFrameTick> tick = std::make_shared<SharedFrameTick>(loop, clock);
};

TEST_F(SharedFrameTickTest, EverySubscriberRunsOncePerFrame) {
  constexpr int kSubscribers = 20;
  std::array<int, kSubscribers> calls{};
  std::vector<TimerHandle> handles;
  for (auto& c : calls) handles.push_back(tick->subscribe([&c] { ++c; }));
  // The first frame right away (1 ms), then one every 20 ms: 26 frames by 500 ms.
  loop.advance(500ms);
  for (auto& c : calls) EXPECT_EQ(c, 26) << "each subscriber once per frame";
  handles.clear();  // dropping a handle cancels its subscription
  loop.advance(100ms);
  for (auto& c : calls) EXPECT_EQ(c, 26) << "a cancelled subscriber is not called again";
  EXPECT_EQ(tick->subscribers(), 0u);
}

TEST_F(SharedFrameTickTest, ALateWakeUpIsMadeUpByABurstNotLost) {
  int calls = 0;
  auto h = tick->subscribe([&] { ++calls; });
  loop.advance(100ms);
  const int on_time = calls;
  // The loop was busy for 70 ms: the three frames that fell due meanwhile run at once when it
  // wakes, and the anchored schedule goes on (two more frames by 200 ms).
  clock.advance(70ms);
  loop.run_ready();
  EXPECT_EQ(calls, on_time + 3);
  loop.advance(30ms);
  EXPECT_EQ(calls, on_time + 5);
  EXPECT_EQ(tick->resyncs(), 0u);
}

TEST_F(SharedFrameTickTest, AStallRestartsTheScheduleFromNow) {
  int calls = 0;
  auto h = tick->subscribe([&] { ++calls; });
  loop.advance(40ms);
  // A stall far longer than a frame: the missed frames are not replayed as a flood.
  clock.advance(5s);
  loop.run_ready();
  EXPECT_LE(calls, 3 + 3) << "at most one burst (max 3 frames) after the stall";
  EXPECT_EQ(tick->resyncs(), 1u);
  const int after_stall = calls;
  loop.advance(100ms);
  EXPECT_EQ(calls, after_stall + 5);
}

TEST_F(SharedFrameTickTest, CancelAndSubscribeFromInsideATick) {
  int a = 0, b = 0, late = 0;
  TimerHandle hb, hlate;
  // a cancels b from inside the same tick, and subscribes a newcomer; b must not run again and
  // the newcomer runs from the next tick on.
  auto ha = tick->subscribe([&] {
    if (++a == 3) {
      hb.cancel();
      hlate = tick->subscribe([&] { ++late; });
    }
  });
  hb = tick->subscribe([&] { ++b; });
  loop.advance(40ms);  // three ticks: 1, 20 and 40 ms
  EXPECT_EQ(a, 3);
  EXPECT_LE(b, 3);
  EXPECT_EQ(late, 0);
  const int b_then = b;
  loop.advance(100ms);
  EXPECT_EQ(a, 8);
  EXPECT_EQ(b, b_then) << "cancelled inside a tick: never called again";
  EXPECT_EQ(late, 5) << "subscribed inside a tick: called from the next one on";
  ha.cancel();
  hlate.cancel();
  EXPECT_EQ(tick->subscribers(), 0u);
}

TEST_F(SharedFrameTickTest, HandlesMayOutliveTheTick) {
  int calls = 0;
  auto h = tick->subscribe([&] { ++calls; });
  loop.advance(40ms);
  const int before = calls;
  ASSERT_GT(before, 0);
  tick.reset();  // the last owner goes
  loop.advance(100ms);
  EXPECT_EQ(calls, before) << "a tick that is gone calls nobody";
  h.cancel();  // harmless
  EXPECT_EQ(calls, before);
}

// A real GlibLoop: one tick per loop, and a cancel from another thread stops the subscriber.
TEST(SharedFrameTickOnGlib, OneTickPerLoopAndCancelFromAnotherThread) {
  GlibLoop loop("tick");
  auto tick = SharedFrameTick::for_loop(loop);
  EXPECT_EQ(tick, SharedFrameTick::for_loop(loop)) << "every room on a loop shares its tick";
  GlibLoop other("other");
  EXPECT_NE(tick, SharedFrameTick::for_loop(other));

  std::atomic<int> calls{0};
  std::promise<void> five;
  TimerHandle h;
  on_loop(loop, [&] {
    h = tick->subscribe([&] {
      if (++calls == 5) five.set_value();
    });
  });
  ASSERT_EQ(five.get_future().wait_for(10s), std::future_status::ready) << "the tick runs on a real loop";
  h.cancel();  // from this thread, not the loop's
  // Whatever tick was running when the cancel landed has finished once this task runs; from then
  // on the count must not move.
  const int after_cancel = on_loop(loop, [&] { return calls.load(); });
  on_loop(loop, [] {});
  std::this_thread::sleep_for(100ms);  // five frames in which a live subscriber would be called
  EXPECT_EQ(on_loop(loop, [&] { return calls.load(); }), after_cancel);
  EXPECT_EQ(tick->subscribers(), 0u);
}

}  // namespace
}  // namespace parley::media
