#include "core/loop_pool.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>
#include <mutex>

namespace parley {
namespace {

// Waits for a condition with a deadline instead of sleeping.
class Latch {
 public:
  explicit Latch(int n) : n_(n) {}
  void count_down() {
    std::lock_guard l(m_);
    if (--n_ <= 0) cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds d = std::chrono::seconds(5)) {
    std::unique_lock l(m_);
    return cv_.wait_for(l, d, [&] { return n_ <= 0; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_;
};

template <class Loop>
void posts_run_in_order_on_the_loop_thread(Loop& loop) {
  std::vector<int> seen;
  Latch done(1);
  for (int i = 0; i < 100; ++i) {
    loop.post([&, i] {
      EXPECT_TRUE(loop.is_current());
      seen.push_back(i);
      if (i == 99) done.count_down();
    });
  }
  ASSERT_TRUE(done.wait());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
  EXPECT_FALSE(loop.is_current());
}

template <class Loop>
void timers_fire_unless_cancelled(Loop& loop) {
  Latch fired(1);
  bool cancelled_ran = false;
  auto start = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration waited{};
  TimerHandle keep, cancel;
  loop.post([&] {
    keep = loop.post_after(std::chrono::milliseconds(30), [&] {
      waited = std::chrono::steady_clock::now() - start;
      fired.count_down();
    });
    cancel = loop.post_after(std::chrono::milliseconds(10), [&] { cancelled_ran = true; });
    cancel.cancel();
  });
  ASSERT_TRUE(fired.wait());
  EXPECT_GE(waited, std::chrono::milliseconds(29));
  Latch flushed(1);
  TimerHandle flush;
  loop.post([&] { flush = loop.post_after(std::chrono::milliseconds(20), [&] { flushed.count_down(); }); });
  ASSERT_TRUE(flushed.wait());
  EXPECT_FALSE(cancelled_ran);
  Latch cleared(1);
  loop.post([&] {
    keep = TimerHandle();
    cancel = TimerHandle();
    flush = TimerHandle();
    cleared.count_down();
  });
  ASSERT_TRUE(cleared.wait());
}

// A timer that expired while the loop was busy is already queued to run; cancelling it from a
// handler that runs before it must still stop it (its owner may be gone right after cancelling).
template <class Loop>
void cancelling_an_expired_queued_timer_stops_it(Loop& loop) {
  // GLib may dispatch the due timer before the posted cancel (it orders by readiness, not by
  // queue); what must never happen is a run after cancel() returned.
  bool cancelled = false, ran_after_cancel = false;
  Latch checked(1);
  TimerHandle timer;
  loop.post([&] {
    timer = loop.post_after(std::chrono::milliseconds(1), [&] { ran_after_cancel = cancelled; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the timer expires meanwhile
    loop.post([&] {
      timer.cancel();
      cancelled = true;
      // Whatever the loop had queued before this point runs before the next post.
      loop.post([&] { loop.post([&] { checked.count_down(); }); });
    });
  });
  ASSERT_TRUE(checked.wait());
  EXPECT_FALSE(ran_after_cancel);
}

TEST(AsioLoop, PostsRunInOrderOnTheLoopThread) {
  AsioLoop loop("t");
  posts_run_in_order_on_the_loop_thread(loop);
}

TEST(GlibLoop, PostsRunInOrderOnTheLoopThread) {
  GlibLoop loop("t");
  posts_run_in_order_on_the_loop_thread(loop);
}

TEST(AsioLoop, TimersFireUnlessCancelled) {
  AsioLoop loop("t");
  timers_fire_unless_cancelled(loop);
}

TEST(AsioLoop, CancellingAnExpiredQueuedTimerStopsIt) {
  AsioLoop loop("t");
  cancelling_an_expired_queued_timer_stops_it(loop);
}

TEST(GlibLoop, CancellingAnExpiredQueuedTimerStopsIt) {
  GlibLoop loop("t");
  cancelling_an_expired_queued_timer_stops_it(loop);
}

TEST(GlibLoop, TimersFireUnlessCancelled) {
  GlibLoop loop("t");
  timers_fire_unless_cancelled(loop);
}

TEST(LoopPool, FixedThreadsRoundRobin) {
  LoopPool pool(2, 1);
  EXPECT_EQ(pool.media_count(), 2u);
  EXPECT_EQ(pool.io_count(), 1u);
  GlibLoop* a = &pool.next_media();
  GlibLoop* b = &pool.next_media();
  EXPECT_NE(a, b);
  EXPECT_EQ(a, &pool.next_media());
  Latch all(200);
  for (int i = 0; i < 100; ++i) {
    pool.next_media().post([&] { all.count_down(); });
    pool.next_io().post([&] { all.count_down(); });
  }
  EXPECT_TRUE(all.wait());
  pool.stop();
}

}  // namespace
}  // namespace parley
