#include "media/frame_pacer.h"

#include <algorithm>

namespace parley::media {

FramePacer::FramePacer(const Clock& clock, std::chrono::microseconds frame, int max_burst)
    : clock_(clock), frame_(frame), max_burst_(std::max(1, max_burst)) {}

void FramePacer::start() {
  running_ = true;
  next_ = clock_.now();
}

int FramePacer::take_due() {
  if (!running_) return 0;
  const auto now = clock_.now();
  if (now < next_) return 0;
  const auto behind = now - next_;
  const long long due = behind / frame_ + 1;
  if (due > max_burst_) {
    // Stalled (a blocked loop, a suspended VM): send a short burst and restart the schedule
    // from now rather than replaying everything that was missed.
    ++resyncs_;
    next_ = now + frame_;
    sent_ += static_cast<uint64_t>(max_burst_);
    return max_burst_;
  }
  next_ += frame_ * due;
  sent_ += static_cast<uint64_t>(due);
  return static_cast<int>(due);
}

std::chrono::nanoseconds FramePacer::time_until_next() const {
  auto d = next_ - clock_.now();
  return std::max(std::chrono::nanoseconds(0), std::chrono::duration_cast<std::chrono::nanoseconds>(d));
}

}  // namespace parley::media
