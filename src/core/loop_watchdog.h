// The loop watchdog: a check, for tests and debugging, that no event loop thread blocks.
// Everything on a loop must hand over and return (event_loop.h); a loop thread that waits on a
// future, a condition variable, a sleep or a blocking socket holds every call on that loop.
//
// Two checks, on while the watchdog is enabled (PARLEY_LOOP_WATCHDOG, see enable_from_environment):
//   - Turn time: a watchdog thread posts a probe to every loop every 50 ms. A probe overdue by
//     more than the threshold while the loop's thread sleeps in the kernel (not runnable: it is
//     waiting on something other than its own poll, which the probe would have woken) on two
//     checks in a row is a blocked loop. A loop that is merely busy or starved of CPU (runnable)
//     is not blocked; it is logged as slow once it is five thresholds late. A round in which
//     the watchdog thread itself woke over half a threshold late (the machine is short of CPU,
//     so a lock's holder may be waiting for it) gives no verdict.
//   - Blocking calls: the project's blocking primitives (a synchronous wait on another loop, a
//     blocking HTTP request, a retry's sleep) call blocking_call() first; on a loop thread that
//     is a report at once, however short the wait would have been.
// A report names the loop and the loop thread's stack. By default it is logged (with the stack,
// on stderr) and the process aborts, so the test running it fails; tests of the watchdog itself
// take the reports instead.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace parley {

class EventLoop;

namespace loop_watchdog {

struct Report {
  std::string loop;                    // the loop's name (io-0, media-1, …)
  std::string what;                    // what it was caught doing
  std::chrono::milliseconds late{0};   // how long its probe waited; 0 for a blocking call
  std::vector<std::string> stack;      // the loop thread's stack, innermost first
};

struct Options {
  std::chrono::milliseconds threshold{500};
  // Empty: log the report, print it with the stack on stderr and abort.
  std::function<void(const Report&)> on_report;
};

// Turns the checks on (or replaces the options) for the whole process. Any thread.
void enable(Options options);
// Turns them off and stops the watchdog thread (tests).
void disable();
bool enabled();
// PARLEY_LOOP_WATCHDOG=<milliseconds> enables the checks with that threshold and abort on a
// report (the test suite sets it for every test); unset, empty, 0 or "off" leave them off.
// Called by every loop as it starts; reads the variable once per process.
void enable_from_environment();
// What PARLEY_LOOP_WATCHDOG asks for (nullopt: off), for tests that change the options and put
// them back.
std::optional<Options> environment_options();

// Marks the calling thread as `loop`'s thread until the registration is destroyed (by the loop
// thread itself, before the loop object goes away). Only AsioLoop and GlibLoop use this.
class LoopThread {
 public:
  explicit LoopThread(EventLoop& loop);
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;
};

// True on a thread that runs an event loop.
bool on_loop_thread();

// Called on a loop's thread: this loop exists to run blocking work (a blocking HTTP client) and
// uses a loop only to order its tasks and timers; no call's work runs there. The watchdog leaves
// it alone from now on (the reconciler's loop).
void exempt_this_loop();

// Called by a primitive that is about to wait (what: "Room::connect_sync waits for the join").
// On a loop thread with the checks on: a report. Otherwise nothing.
void blocking_call(const char* what);

}  // namespace loop_watchdog
}  // namespace parley
