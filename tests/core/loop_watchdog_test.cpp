// The loop watchdog catches a loop thread that blocks: a deliberately blocking callback on an
// Asio loop and on a GLib loop, a blocking primitive called on a loop, and, with no reporter,
// it aborts the process (how it fails a test). A busy loop and a blocking call off the loops
// are not reports.
#include "core/loop_watchdog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "core/asio_loop.h"
#include "core/glib_loop.h"

namespace parley {

// Outside the anonymous namespace and not inlined, so the stack names them.
std::atomic<int> g_blocked_calls{0};
std::mutex g_release_mutex;
std::condition_variable g_release_cv;
bool g_released = false;
// Blocks (asleep on a condition variable, as a loop waiting on a future would) until the test
// releases it once the watchdog reported, or at most `at_most`: the test waits for the report,
// not for a fixed time, so a loaded machine makes it slower, not flaky.
[[gnu::noinline]] void deliberately_blocking_callback(std::chrono::milliseconds at_most) {
  std::unique_lock l(g_release_mutex);
  g_release_cv.wait_for(l, at_most, [] { return g_released; });
  g_blocked_calls.fetch_add(1);  // not a tail call: this frame stays on the stack
}
void release_blocking_callbacks(bool released) {
  {
    std::lock_guard l(g_release_mutex);
    g_released = released;
  }
  g_release_cv.notify_all();
}
[[gnu::noinline]] void deliberately_blocking_primitive() {
  loop_watchdog::blocking_call("a test's synchronous wait");
  g_blocked_calls.fetch_add(1);
}

namespace {

using namespace std::chrono_literals;

class Reports {
 public:
  void add(const loop_watchdog::Report& r) {
    std::lock_guard l(m_);
    reports_.push_back(r);
    cv_.notify_all();
  }
  bool wait_for_one(std::chrono::milliseconds d = 5s) {
    std::unique_lock l(m_);
    return cv_.wait_for(l, d, [&] { return !reports_.empty(); });
  }
  std::vector<loop_watchdog::Report> all() {
    std::lock_guard l(m_);
    return reports_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<loop_watchdog::Report> reports_;
};

bool stack_names(const std::vector<std::string>& stack, const std::string& fn) {
  for (const auto& f : stack) {
    if (f.find(fn) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& stack) {
  std::string s;
  for (const auto& f : stack) s += "  " + f + "\n";
  return s;
}

// Posts fn and waits (off the loop) until it ran.
void run_on(EventLoop& loop, std::function<void()> fn) {
  std::promise<void> done;
  loop.post([&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

class LoopWatchdog : public ::testing::Test {
 protected:
  void SetUp() override {
    // What the environment asks for takes effect once, at the first loop: let it happen now, so
    // it cannot replace this test's options when the test starts its loop.
    loop_watchdog::enable_from_environment();
    release_blocking_callbacks(false);
    loop_watchdog::enable({100ms, [this](const loop_watchdog::Report& r) {
                             reports_.add(r);
                             release_blocking_callbacks(true);
                           }});
  }
  // Back to what the environment asked for (the test suite runs with the watchdog on).
  void TearDown() override {
    release_blocking_callbacks(true);
    loop_watchdog::disable();
    if (auto o = loop_watchdog::environment_options()) loop_watchdog::enable(*o);
  }
  Reports reports_;
};

TEST_F(LoopWatchdog, CatchesABlockingCallbackOnAnAsioLoop) {
  AsioLoop loop("io-watched");
  loop.post([] { deliberately_blocking_callback(60s); });
  ASSERT_TRUE(reports_.wait_for_one(60s)) << "a loop asleep in a callback was not reported";
  auto r = reports_.all().front();
  EXPECT_EQ(r.loop, "io-watched");
  EXPECT_GE(r.late, 100ms);
  EXPECT_TRUE(stack_names(r.stack, "deliberately_blocking_callback")) << joined(r.stack);
}

TEST_F(LoopWatchdog, CatchesABlockingCallbackOnAGlibLoop) {
  GlibLoop loop("media-watched");
  loop.post([] { deliberately_blocking_callback(60s); });
  ASSERT_TRUE(reports_.wait_for_one(60s)) << "a loop asleep in a callback was not reported";
  auto r = reports_.all().front();
  EXPECT_EQ(r.loop, "media-watched");
  EXPECT_GE(r.late, 100ms);
  EXPECT_TRUE(stack_names(r.stack, "deliberately_blocking_callback")) << joined(r.stack);
}

TEST_F(LoopWatchdog, CatchesABlockingPrimitiveCalledOnALoopAtOnce) {
  AsioLoop loop("io-watched");
  run_on(loop, [] { deliberately_blocking_primitive(); });
  auto all = reports_.all();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].loop, "io-watched");
  EXPECT_NE(all[0].what.find("a test's synchronous wait"), std::string::npos) << all[0].what;
  EXPECT_TRUE(stack_names(all[0].stack, "deliberately_blocking_primitive")) << joined(all[0].stack);
}

TEST_F(LoopWatchdog, ABlockingPrimitiveOffTheLoopsIsNoReport) {
  deliberately_blocking_primitive();
  std::thread([] { deliberately_blocking_primitive(); }).join();
  EXPECT_TRUE(reports_.all().empty());
}

TEST_F(LoopWatchdog, ABusyLoopIsNotABlockedOne) {
  AsioLoop io("io-busy");
  GlibLoop media("media-busy");
  // Work that keeps the loops running (never asleep) for longer than the threshold: many short
  // turns, then one long turn on the CPU.
  for (int i = 0; i < 2000; ++i) {
    io.post([] {});
    media.post([] {});
  }
  auto spin = [] {
    auto until = std::chrono::steady_clock::now() + 600ms;
    while (std::chrono::steady_clock::now() < until) {
    }
  };
  run_on(io, spin);
  run_on(media, spin);
  // A further probe cycle on each, after the spin.
  run_on(io, [] {});
  run_on(media, [] {});
  std::this_thread::sleep_for(200ms);  // give a (wrong) report the time to arrive
  EXPECT_TRUE(reports_.all().empty()) << reports_.all().front().what;
}

// With no reporter, a report ends the process: how a test running parley with
// PARLEY_LOOP_WATCHDOG set fails.
TEST(LoopWatchdogDeathTest, AbortsTheProcessNamingTheLoopAndTheCallback) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        loop_watchdog::enable_from_environment();
        loop_watchdog::enable({100ms, {}});
        AsioLoop loop("io-doomed");
        loop.post([] { deliberately_blocking_callback(60s); });
        std::this_thread::sleep_for(60s);  // the report ends the process long before
      },
      "event loop io-doomed blocked(.|\n)*deliberately_blocking_callback");
}

}  // namespace
}  // namespace parley
