// LiveKitHealthCheck's lifetime: stop() never waits on the loop, and the object may be destroyed
// while its loop is busy, with its start and a check's handlers still queued. Before the fix
// stop() waited 5 s for a busy loop, then the destructor ran and the queued start touched the
// freed object (AddressSanitizer: heap-use-after-free).
#include <future>

#include <gtest/gtest.h>

#include "service/livekit_health_check.h"

namespace parley::service {
namespace {

using namespace std::chrono_literals;

// Runs everything the loop has queued so far, and waits for it.
void drain(AsioLoop& loop) {
  std::promise<void> done;
  loop.post([&] { done.set_value(); });
  done.get_future().wait();
}

TEST(LiveKitHealthCheck, DestroyedWhileItsLoopIsBusyItNeitherWaitsNorIsTouchedAfterwards) {
  AsioLoop loop("health");
  std::promise<void> release;
  auto busy = release.get_future().share();
  loop.post([busy] { busy.wait(); });  // a handler that takes long (a slow call, a stall)

  auto check = std::make_unique<LiveKitHealthCheck>(loop, "ws://127.0.0.1:1", Credentials{}, Millis(20), Millis(500));
  check->start();
  auto t0 = std::chrono::steady_clock::now();
  check->stop();
  check.reset();
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 1s) << "stop() waited for a busy loop";

  release.set_value();
  drain(loop);  // the queued start and stop run now, with the object gone
}

TEST(LiveKitHealthCheck, AServerThatIsDownIsReportedAndChecksRepeatUntilStopped) {
  AsioLoop loop("health");
  LiveKitHealthCheck check(loop, "ws://127.0.0.1:1", Credentials{}, Millis(20), Millis(500));
  EXPECT_EQ(check.problem(), "not checked yet");
  check.start();
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (check.checks() < 3 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  ASSERT_GE(check.checks(), 3u);
  EXPECT_FALSE(check.healthy());
  EXPECT_NE(check.problem().find("cannot connect to 127.0.0.1:1"), std::string::npos) << check.problem();
  check.stop();
  drain(loop);
  auto after = check.checks();
  // The schedule ended with stop(): a check still in flight lands nowhere, no new one starts.
  drain(loop);
  std::this_thread::sleep_for(100ms);
  drain(loop);
  EXPECT_EQ(check.checks(), after);
}

}  // namespace
}  // namespace parley::service
