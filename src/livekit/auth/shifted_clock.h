// A clock whose calendar time is another clock's shifted by a fixed offset: mints tokens as a
// host with a wrong clock would (parley diagnose --clock-skew, tests of skew detection).
#pragma once

#include <chrono>

#include "core/clock.h"

namespace parley::livekit {

class ShiftedClock final : public Clock {
 public:
  ShiftedClock(const Clock& base, std::chrono::seconds offset) : base_(base), offset_(offset) {}
  time_point now() const override { return base_.now(); }
  std::chrono::system_clock::time_point wall() const override { return base_.wall() + offset_; }

 private:
  const Clock& base_;
  std::chrono::seconds offset_;
};

}  // namespace parley::livekit
