// Cuts a stream of variable-length audio (TTS output, resampler output) into fixed frames
// (20 ms for Opus, 10 ms for the VAD). Holds at most one frame's worth plus the last push.
// Not thread-safe.
#pragma once

#include <chrono>
#include <optional>

#include "core/error.h"
#include "media/audio_frame.h"

namespace parley::media {

class FrameAssembler {
 public:
  FrameAssembler(int sample_rate, int channels, std::chrono::microseconds frame = std::chrono::milliseconds(20));

  // Appends samples of this assembler's format.
  Status push(std::span<const int16_t> interleaved);
  Status push(const AudioFrame& frame);
  // The next whole frame, if one is ready.
  std::optional<AudioFrame> pop();
  // The remainder padded with silence to a whole frame (nothing if empty).
  std::optional<AudioFrame> pop_padded();
  void clear() { pending_.clear(); }

  int samples_per_frame() const { return samples_per_frame_; }
  size_t pending_samples() const { return pending_.size() / static_cast<size_t>(channels_); }

 private:
  int sample_rate_;
  int channels_;
  int samples_per_frame_;
  SecureVector<int16_t> pending_;
};

}  // namespace parley::media
