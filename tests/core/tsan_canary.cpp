// ThreadSanitizer's canary: a deliberate data race in a task on a media loop (GlibLoop), i.e.
// inside GLib's dispatch, where the media path runs. The TSan run must report it; if the
// suppressions (tests/tsan.supp) ever hide races under the GLib loop again, this test fails.
// Built and run only in the TSan build (tests/core/CMakeLists.txt); it is not a test of parley.
#include <atomic>
#include <cstdio>

#include "core/glib_loop.h"

namespace {

int shared_counter = 0;  // written on the media loop, read here, with nothing ordering the two

void media_loop_canary_write() { shared_counter = 42; }

}  // namespace

int main() {
  parley::GlibLoop loop("canary-media");
  std::atomic<bool> written{false};
  loop.post([&] {
    media_loop_canary_write();
    written.store(true, std::memory_order_relaxed);  // relaxed: no happens-before for TSan
  });
  while (!written.load(std::memory_order_relaxed)) {
  }
  int seen = shared_counter;  // the racing read
  std::printf("canary read %d\n", seen);
  loop.stop();
  return 0;
}
