// An EventLoop on a ManualClock for deterministic tests: posted tasks and timers run only when
// the test calls run_ready() or advance(), in due-time order, on the test's thread. A 30-second
// call runs in microseconds, the same way every time.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "core/clock.h"
#include "core/event_loop.h"

namespace parley::testing {

class ManualEventLoop final : public EventLoop {
 public:
  explicit ManualEventLoop(ManualClock& clock) : clock_(clock) {}
  ~ManualEventLoop() override { *alive_ = false; }

  void post(std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(fn));
  }

  TimerHandle post_after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    auto key = std::make_pair(clock_.now() + delay, ++seq_);
    timers_.emplace(key, std::move(fn));
    return TimerHandle([this, key, alive = alive_] {
      if (!*alive) return;
      std::lock_guard l(mutex_);
      timers_.erase(key);
    });
  }

  bool is_current() const override { return true; }
  const std::string& name() const override { return name_; }

  // Runs posted tasks and timers due now until nothing is left to run at this instant.
  void run_ready() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard lock(mutex_);
        if (!queue_.empty()) {
          fn = std::move(queue_.front());
          queue_.pop_front();
        } else if (!timers_.empty() && timers_.begin()->first.first <= clock_.now()) {
          fn = std::move(timers_.begin()->second);
          timers_.erase(timers_.begin());
        } else {
          return;
        }
      }
      fn();
    }
  }

  // Moves time forward by d, running every timer at its own due time along the way.
  void advance(std::chrono::nanoseconds d) {
    auto end = clock_.now() + d;
    run_ready();
    for (;;) {
      Clock::time_point next;
      {
        std::lock_guard lock(mutex_);
        if (timers_.empty() || timers_.begin()->first.first > end) break;
        next = timers_.begin()->first.first;
      }
      if (next > clock_.now()) clock_.advance(next - clock_.now());
      run_ready();
    }
    if (end > clock_.now()) clock_.advance(end - clock_.now());
    run_ready();
  }

  // Advances in `step`s until pred() holds or `limit` passed; returns pred().
  template <class Pred>
  bool advance_until(Pred pred, std::chrono::nanoseconds limit, std::chrono::nanoseconds step = std::chrono::milliseconds(1)) {
    auto end = clock_.now() + limit;
    run_ready();
    while (!pred() && clock_.now() < end) advance(step);
    return pred();
  }

  size_t pending_timers() const {
    std::lock_guard lock(mutex_);
    return timers_.size();
  }

 private:
  ManualClock& clock_;
  std::string name_ = "manual";
  mutable std::mutex mutex_;
  std::deque<std::function<void()>> queue_;
  std::map<std::pair<Clock::time_point, uint64_t>, std::function<void()>> timers_;
  uint64_t seq_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace parley::testing
