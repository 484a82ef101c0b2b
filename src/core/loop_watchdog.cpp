#include "core/loop_watchdog.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>

#include "core/event_loop.h"
#include "core/log.h"
#include "core/thread_stack.h"

namespace parley::loop_watchdog {

namespace {

using namespace std::chrono_literals;
constexpr auto kProbeEvery = 50ms;
constexpr int kSleepingChecks = 2;  // overdue and asleep on this many checks in a row
constexpr int kSlowFactor = 5;      // a runnable loop this many thresholds late is logged as slow

struct Slot {
  EventLoop* loop = nullptr;
  std::string name;
  pid_t tid = 0;
  pthread_t thread{};
  // When the outstanding probe was posted (steady ns), 0 when none is; shared with the probe.
  std::shared_ptr<std::atomic<int64_t>> posted = std::make_shared<std::atomic<int64_t>>(0);
  int sleeping = 0;
  bool reported = false, slow_logged = false;
};

struct Watchdog {
  std::mutex mutex;
  std::condition_variable wake;
  Options options;
  bool on = false, stopping = false;
  std::vector<std::shared_ptr<Slot>> slots;
  std::thread thread;
};

// Never destroyed: loops may stop after static destruction began.
Watchdog& watchdog() {
  static auto* w = new Watchdog;
  return *w;
}

thread_local Slot* t_slot = nullptr;
std::atomic<bool> g_on{false};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The scheduler state of one of our threads: 'R' runnable, 'S' asleep, 'D' in uninterruptible I/O.
char thread_state(pid_t tid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/stat", static_cast<int>(tid));
  FILE* f = std::fopen(path, "r");
  if (!f) return '?';
  char buf[512];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // "tid (comm) S ...": comm may hold spaces and parentheses, so take the last ')'.
  std::string s(buf);
  auto close = s.rfind(')');
  if (close == std::string::npos || close + 2 >= s.size()) return '?';
  return s[close + 2];
}

void deliver(const Report& r, const std::function<void(const Report&)>& on_report) {
  if (on_report) return on_report(r);
  std::string text = "parley: event loop " + r.loop + " blocked: " + r.what;
  if (r.late.count() > 0) text += " (its turn has lasted over " + std::to_string(r.late.count()) + " ms)";
  text += "\n";
  for (const auto& frame : r.stack) text += "    at " + frame + "\n";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  log::root().error("event loop blocked", {{"loop", r.loop}, {"what", r.what},
                                           {"late_ms", static_cast<int64_t>(r.late.count())},
                                           {"top", r.stack.empty() ? std::string("?") : r.stack.front()}});
  std::abort();
}

void run(Watchdog& w) {
  std::unique_lock lock(w.mutex);
  int64_t last_wake = now_ns();
  while (!w.stopping) {
    w.wake.wait_for(lock, kProbeEvery);
    if (w.stopping) break;
    const auto threshold = w.options.threshold;
    std::vector<Report> reports;
    const int64_t now = now_ns();
    // When this thread itself woke late, the machine is short of CPU: a loop waiting on a lock
    // whose holder is not getting the CPU then looks blocked without being so. No verdicts from
    // such a round (a loop that really blocks is still asleep at the next ones).
    const bool starved = std::chrono::nanoseconds(now - last_wake) > kProbeEvery + threshold / 2;
    last_wake = now;
    for (auto& slot : w.slots) {
      int64_t posted = slot->posted->load();
      if (posted == 0) {
        slot->posted->store(now);
        slot->sleeping = 0;
        slot->reported = slot->slow_logged = false;
        slot->loop->post([p = slot->posted] { p->store(0); });
        continue;
      }
      auto late = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(now - posted));
      if (late < threshold) continue;
      char state = thread_state(slot->tid);
      slot->sleeping = (state == 'S' || state == 'D') && !starved ? slot->sleeping + 1 : 0;
      if (slot->sleeping >= kSleepingChecks && !slot->reported) {
        slot->reported = true;
        // Under the mutex: the thread cannot unregister (and end) while it is being sampled.
        reports.push_back({slot->name, "a turn is waiting in the kernel (a lock, a future, a sleep, blocking I/O)", late,
                           capture_thread_stack(slot->thread)});
      } else if (state == 'R' && late >= kSlowFactor * threshold && !slot->slow_logged) {
        slot->slow_logged = true;
        auto stack = capture_thread_stack(slot->thread);
        log::root().warn("event loop slow (busy or short of CPU, not blocked)",
                         {{"loop", slot->name}, {"late_ms", static_cast<int64_t>(late.count())},
                          {"top", stack.empty() ? std::string("?") : stack.front()}});
      }
    }
    if (reports.empty()) continue;
    auto on_report = w.options.on_report;
    lock.unlock();
    for (const auto& r : reports) deliver(r, on_report);
    lock.lock();
  }
}

}  // namespace

void enable(Options options) {
  auto& w = watchdog();
  std::lock_guard lock(w.mutex);
  w.options = std::move(options);
  w.on = true;
  g_on = true;
  if (!w.thread.joinable()) {
    w.stopping = false;
    w.thread = std::thread([&w] { run(w); });
  }
}

void disable() {
  auto& w = watchdog();
  std::thread t;
  {
    std::lock_guard lock(w.mutex);
    w.on = false;
    g_on = false;
    w.stopping = true;
    t = std::move(w.thread);
  }
  w.wake.notify_all();
  if (t.joinable()) t.join();
  std::lock_guard lock(w.mutex);
  for (auto& slot : w.slots) slot->posted->store(0);
}

bool enabled() { return g_on.load(); }

std::optional<Options> environment_options() {
  static const std::optional<Options> parsed = []() -> std::optional<Options> {
    const char* v = std::getenv("PARLEY_LOOP_WATCHDOG");
    if (!v || !*v || std::string(v) == "off") return std::nullopt;
    char* end = nullptr;
    long ms = std::strtol(v, &end, 10);
    if (end == v || *end != '\0' || ms < 0) {
      std::fprintf(stderr,
                   "parley: PARLEY_LOOP_WATCHDOG='%s' is not a number of milliseconds (e.g. 500, or off); "
                   "the loop watchdog stays off\n",
                   v);
      return std::nullopt;
    }
    if (ms == 0) return std::nullopt;
    return Options{std::chrono::milliseconds(ms), {}};
  }();
  return parsed;
}

void enable_from_environment() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (auto o = environment_options()) {
      enable(*o);
      // Said once, so a test's log shows the check was on.
      log::root().info("loop watchdog on", {{"threshold_ms", static_cast<int64_t>(o->threshold.count())}});
    }
  });
}

LoopThread::LoopThread(EventLoop& loop) {
  enable_from_environment();
  auto slot = std::make_shared<Slot>();
  slot->loop = &loop;
  slot->name = loop.name();
  slot->tid = static_cast<pid_t>(::syscall(SYS_gettid));
  slot->thread = pthread_self();
  t_slot = slot.get();
  auto& w = watchdog();
  std::lock_guard lock(w.mutex);
  w.slots.push_back(std::move(slot));
}

LoopThread::~LoopThread() {
  auto& w = watchdog();
  std::lock_guard lock(w.mutex);
  std::erase_if(w.slots, [](const std::shared_ptr<Slot>& s) { return s.get() == t_slot; });
  t_slot = nullptr;
}

bool on_loop_thread() { return t_slot != nullptr; }

void exempt_this_loop() {
  if (!t_slot) return;
  auto& w = watchdog();
  std::lock_guard lock(w.mutex);
  std::erase_if(w.slots, [](const std::shared_ptr<Slot>& s) { return s.get() == t_slot; });
  t_slot = nullptr;
}

void blocking_call(const char* what) {
  if (!t_slot || !g_on.load()) return;
  std::function<void(const Report&)> on_report;
  {
    auto& w = watchdog();
    std::lock_guard lock(w.mutex);
    on_report = w.options.on_report;
  }
  deliver(Report{t_slot->name, std::string("a blocking call on the loop: ") + what, {}, current_thread_stack()}, on_report);
}

}  // namespace parley::loop_watchdog
