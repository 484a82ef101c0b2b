// A 20 ms frame schedule against a Clock (the media loop's shared frame tick runs on one),
// anchored at start() so timer jitter never accumulates into drift. The owner arms a timer for
// next_due(), and when it fires takes take_due() frames (usually 1; more after a late wake-up, up
// to max_burst; beyond that the schedule restarts from now — sending a long burst would only fill
// the receiver's jitter buffer). Works on ManualClock in tests. Not thread-safe: its owner's loop.
#pragma once

#include <chrono>
#include <cstdint>

#include "core/clock.h"

namespace parley::media {

class FramePacer {
 public:
  explicit FramePacer(const Clock& clock, std::chrono::microseconds frame = std::chrono::milliseconds(20),
                      int max_burst = 3);

  // The first frame is due now.
  void start();
  void stop() { running_ = false; }
  bool running() const { return running_; }

  // How many frames are due now (0 when stopped or early); they count as sent.
  int take_due();
  // When the next frame is due (meaningful while running).
  Clock::time_point next_due() const { return next_; }
  std::chrono::nanoseconds time_until_next() const;

  uint64_t frames_sent() const { return sent_; }
  uint64_t resyncs() const { return resyncs_; }  // times the schedule restarted after a stall
  std::chrono::microseconds frame_duration() const { return frame_; }

 private:
  const Clock& clock_;
  std::chrono::microseconds frame_;
  int max_burst_;
  bool running_ = false;
  Clock::time_point next_{};
  uint64_t sent_ = 0;
  uint64_t resyncs_ = 0;
};

}  // namespace parley::media
