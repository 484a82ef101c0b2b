// Time behind an interface, so that timers, token expiry and turn-taking can be tested on a
// manual clock that a test moves by hand.
#pragma once

#include <atomic>
#include <chrono>

namespace parley {

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;                          // monotonic
  virtual std::chrono::system_clock::time_point wall() const = 0;  // calendar time (tokens)
};

class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  std::chrono::system_clock::time_point wall() const override { return std::chrono::system_clock::now(); }
  static const SystemClock& instance() {
    static const SystemClock c;
    return c;
  }
};

// Starts at an arbitrary fixed point; only advance() moves it. Thread-safe.
class ManualClock final : public Clock {
 public:
  time_point now() const override { return time_point(std::chrono::nanoseconds(mono_.load())); }
  std::chrono::system_clock::time_point wall() const override {
    return std::chrono::system_clock::time_point(std::chrono::nanoseconds(wall_.load()));
  }
  void advance(std::chrono::nanoseconds d) {
    mono_ += d.count();
    wall_ += d.count();
  }
  void set_wall(std::chrono::system_clock::time_point t) { wall_ = t.time_since_epoch().count(); }

 private:
  std::atomic<long long> mono_{1'000'000'000'000LL};
  std::atomic<long long> wall_{1'764'000'000'000'000'000LL};
};

}  // namespace parley
