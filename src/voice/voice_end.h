// Where the caller's voice ended, as opposed to where the VAD said the speech ended. WebRTC VAD
// keeps calling frames speech for a hangover after the voice (mode 3 at 20 ms frames: 4 or 7
// frames, 80–140 ms), so a wait counted from its last speech frame pays the hangover first. The
// voice's end is the end of the last frame the VAD called speech that also stands above the
// line's noise floor (the quietest of the recent frames the VAD called silence) by
// kAboveFloorDb and above kMinLevelDbov; never more than max_hangover before the VAD's last
// speech frame, so a soft last syllable the level test misses costs at most that much of the wait.
#pragma once

#include <chrono>
#include <deque>

#include "core/clock.h"
#include "media/audio_frame.h"

namespace parley::voice {

class VoiceEndTracker {
 public:
  static constexpr double kAboveFloorDb = 12;
  static constexpr double kMinLevelDbov = -55;
  explicit VoiceEndTracker(std::chrono::milliseconds max_hangover = std::chrono::milliseconds(160))
      : max_hangover_(max_hangover) {}

  // One frame as the VAD judged it; `end` is the frame's end on the pipeline's clock.
  void push(const media::AudioFrame& frame, bool vad_speech, Clock::time_point end);
  // The end of the last voiced frame (see above); the epoch before any speech.
  Clock::time_point voice_end() const;
  // The VAD's last speech frame's end.
  Clock::time_point vad_end() const { return vad_end_; }
  // The noise floor the voice must stand out of (dBov), for the record.
  double floor_db() const;

 private:
  std::chrono::milliseconds max_hangover_;
  std::deque<double> silence_levels_;  // the last frames the VAD called silence, newest last
  Clock::time_point vad_end_{};
  Clock::time_point loud_end_{};
};

}  // namespace parley::voice
