#include "voice/voice_end.h"

#include <algorithm>

namespace parley::voice {

namespace {
// About half a second of 20 ms frames: long enough to hold the line's quiet between words.
constexpr size_t kFloorFrames = 25;
}  // namespace

double VoiceEndTracker::floor_db() const {
  if (silence_levels_.empty()) return -127;  // nothing heard yet: digital silence
  return *std::min_element(silence_levels_.begin(), silence_levels_.end());
}

void VoiceEndTracker::push(const media::AudioFrame& frame, bool vad_speech, Clock::time_point end) {
  double level = media::level_dbov(frame.samples());
  if (!vad_speech) {
    silence_levels_.push_back(level);
    if (silence_levels_.size() > kFloorFrames) silence_levels_.pop_front();
    return;
  }
  vad_end_ = end;
  if (level > std::max(floor_db() + kAboveFloorDb, kMinLevelDbov)) loud_end_ = end;
}

Clock::time_point VoiceEndTracker::voice_end() const {
  return std::max(loud_end_, vad_end_ - std::chrono::duration_cast<Clock::time_point::duration>(max_hangover_));
}

}  // namespace parley::voice
