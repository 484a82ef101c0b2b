// An EventLoop on a GMainContext of its own, run by one thread: the media loop. libnice agents
// created with context() deliver their callbacks on this thread, and so do post() and timers.
#pragma once

#include <atomic>
#include <thread>

#include "core/event_loop.h"

typedef struct _GMainContext GMainContext;
typedef struct _GMainLoop GMainLoop;

namespace parley {

class GlibLoop final : public EventLoop {
 public:
  explicit GlibLoop(std::string name);
  ~GlibLoop() override;
  GlibLoop(const GlibLoop&) = delete;
  GlibLoop& operator=(const GlibLoop&) = delete;

  void post(std::function<void()> fn) override;
  TimerHandle post_after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  bool is_current() const override;
  const std::string& name() const override { return name_; }

  GMainContext* context() const { return context_; }
  void stop();

 private:
  std::string name_;
  GMainContext* context_;
  GMainLoop* loop_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
};

}  // namespace parley
