// At most one log line per interval for something that can repeat thousands of times a second
// (accept failing while out of file descriptors, a flood of refused connections): the line that
// is let through says how many were held back since the last one. The metric counts every one.
// Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "core/clock.h"
#include "core/duration.h"

namespace parley::service {

class LogThrottle {
 public:
  explicit LogThrottle(Millis interval, const Clock& clock = SystemClock::instance())
      : interval_(interval), clock_(clock) {}

  // When this occurrence may be logged: how many were suppressed before it. nullopt: stay quiet.
  std::optional<uint64_t> allow() {
    std::lock_guard lock(mutex_);
    auto now = clock_.now();
    if (logged_once_ && now - last_ < interval_) {
      ++suppressed_;
      return std::nullopt;
    }
    logged_once_ = true;
    last_ = now;
    uint64_t held = suppressed_;
    suppressed_ = 0;
    return held;
  }

 private:
  std::mutex mutex_;
  Millis interval_;
  const Clock& clock_;
  bool logged_once_ = false;
  Clock::time_point last_{};
  uint64_t suppressed_ = 0;
};

}  // namespace parley::service
