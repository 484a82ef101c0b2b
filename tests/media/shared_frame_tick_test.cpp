#include "media/shared_frame_tick.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "core/glib_loop.h"

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

TEST(SharedFrameTick, OneLoopOneTickManySubscribersAtTheFrameRate) {
  GlibLoop loop("tick");
  auto tick = SharedFrameTick::for_loop(loop);
  EXPECT_EQ(tick, SharedFrameTick::for_loop(loop)) << "every room on a loop shares its tick";
  GlibLoop other("other");
  EXPECT_NE(tick, SharedFrameTick::for_loop(other));

  constexpr int kSubscribers = 20;
  std::array<std::atomic<int>, kSubscribers> calls{};
  std::vector<TimerHandle> handles;
  on_loop(loop, [&] {
    for (auto& c : calls) handles.push_back(tick->subscribe([&c] { ++c; }));
  });
  std::this_thread::sleep_for(500ms);
  on_loop(loop, [&] { handles.clear(); });  // cancels every subscription
  const int after_cancel = calls[0].load();
  // 25 frames in 500 ms; generous bounds for a loaded machine (the schedule is anchored, so
  // a late wake-up is made up by a short burst, not lost).
  for (auto& c : calls) {
    EXPECT_GE(c.load(), 18);
    EXPECT_LE(c.load(), 27);
    EXPECT_EQ(c.load(), calls[0].load()) << "every subscriber runs on every tick";
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(calls[0].load(), after_cancel) << "a cancelled subscriber is not called again";
  EXPECT_EQ(tick->subscribers(), 0u);
}

TEST(SharedFrameTick, CancelFromAnotherThreadAndFromInsideATick) {
  GlibLoop loop("tick");
  auto tick = SharedFrameTick::for_loop(loop);
  std::atomic<int> a{0}, b{0}, late{0};
  TimerHandle ha, hb, hlate;
  on_loop(loop, [&] {
    // a cancels b from inside the same tick, and subscribes a newcomer; b must not run again and
    // the newcomer runs from the next tick on.
    ha = tick->subscribe([&] {
      if (++a == 3) {
        hb.cancel();
        hlate = tick->subscribe([&] { ++late; });
      }
    });
    hb = tick->subscribe([&] { ++b; });
  });
  std::this_thread::sleep_for(300ms);
  EXPECT_GE(a.load(), 8);
  EXPECT_LE(b.load(), 3);
  EXPECT_GE(late.load(), 5);
  ha.cancel();  // from this thread, not the loop's
  const int a_now = a.load();
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(a.load(), a_now);
  on_loop(loop, [&] { hlate.cancel(); });
  EXPECT_EQ(tick->subscribers(), 0u);
}

TEST(SharedFrameTick, HandlesMayOutliveTheTick) {
  GlibLoop loop("tick");
  TimerHandle h;
  {
    auto tick = SharedFrameTick::for_loop(loop);
    on_loop(loop, [&] { h = tick->subscribe([] {}); });
    on_loop(loop, [&] { tick.reset(); });  // the last owner goes
  }
  h.cancel();  // harmless
  SUCCEED();
}

}  // namespace
}  // namespace parley::media
