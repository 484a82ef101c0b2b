#include "core/glib_loop.h"

#include <atomic>

#include <glib.h>

#include "core/log.h"
#include "core/loop_watchdog.h"

namespace parley {

namespace {

// A task handed from the posting thread to the loop's. GLib orders the two with its own locks,
// which ThreadSanitizer cannot see (futexes and uninstrumented atomics); the release/acquire
// pair on `handed` states that order in code TSan does see, so the hand-off is not reported
// and nothing needs suppressing around GLib's dispatch, where every media-loop task runs.
struct Task {
  explicit Task(std::function<void()> f) : fn(std::move(f)) { handed.store(true, std::memory_order_release); }
  std::function<void()> fn;
  std::atomic<bool> handed{false};
};

gboolean run_task(gpointer data) {
  auto* task = static_cast<Task*>(data);
  (void)task->handed.load(std::memory_order_acquire);
  try {
    task->fn();
  } catch (const std::exception& e) {
    // Nothing may throw through GLib's C frames.
    log::root().error("media loop task threw", {{"error", e.what()}});
  }
  return G_SOURCE_REMOVE;
}

void delete_task(gpointer data) { delete static_cast<Task*>(data); }

}  // namespace

GlibLoop::GlibLoop(std::string name)
    : name_(std::move(name)), context_(g_main_context_new()), loop_(g_main_loop_new(context_, FALSE)) {
  thread_ = std::thread([this] {
    thread_id_ = std::this_thread::get_id();
    loop_watchdog::LoopThread watched(*this);
    g_main_context_push_thread_default(context_);
    g_main_loop_run(loop_);
    g_main_context_pop_thread_default(context_);
  });
}

GlibLoop::~GlibLoop() {
  stop();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

void GlibLoop::stop() {
  if (thread_.joinable()) {
    // Also quit from inside the loop: a quit issued before the thread reached g_main_loop_run
    // is lost (run sets the loop running again), and join() would then wait forever.
    GSource* source = g_idle_source_new();
    g_source_set_callback(
        source,
        [](gpointer loop) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop*>(loop));
          return G_SOURCE_REMOVE;
        },
        loop_, nullptr);
    g_source_attach(source, context_);
    g_source_unref(source);
  }
  g_main_loop_quit(loop_);
  g_main_context_wakeup(context_);
  if (thread_.joinable()) {
    if (std::this_thread::get_id() == thread_.get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
}

void GlibLoop::post(std::function<void()> fn) {
  GSource* source = g_idle_source_new();
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_callback(source, run_task, new Task(std::move(fn)), delete_task);
  g_source_attach(source, context_);
  g_source_unref(source);
}

TimerHandle GlibLoop::post_after(std::chrono::milliseconds delay, std::function<void()> fn) {
  GSource* source = g_timeout_source_new(static_cast<guint>(std::max<long long>(0, delay.count())));
  g_source_set_callback(source, run_task, new Task(std::move(fn)), delete_task);
  g_source_attach(source, context_);
  // The handle owns a reference; destroying an already-fired source is harmless.
  return TimerHandle([source] {
    g_source_destroy(source);
    g_source_unref(source);
  });
}

bool GlibLoop::is_current() const { return std::this_thread::get_id() == thread_id_.load(); }

}  // namespace parley
