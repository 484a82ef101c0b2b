// Caller audio of any rate and channel count → mono at one fixed rate: the front end of the
// speech recognisers that take a single format (pocketsphinx, Deepgram and OpenAI at 16 kHz).
// A new input rate flushes the old resampler and starts a new one, so no audio is lost and each
// caller decides for itself whether a rate change mid-stream is an error. One owner; not
// thread-safe.
#pragma once

#include <cstdint>
#include <memory>

#include "core/error.h"
#include "media/audio_frame.h"
#include "media/resampler.h"

namespace parley::media {

class MonoResampler {
 public:
  explicit MonoResampler(int out_rate) : out_rate_(out_rate) {}

  // Appends the frame's audio, mixed to mono and at out_rate, to `out` (fewer samples than
  // the frame's length while the filter fills; flush() drains it).
  Status push(const AudioFrame& frame, SecureVector<int16_t>& out);
  // Ends the stream: appends what the filter still holds.
  Status flush(SecureVector<int16_t>& out);

  int input_rate() const { return input_rate_; }  // 0 before the first frame
  int out_rate() const { return out_rate_; }

 private:
  int out_rate_;
  int input_rate_ = 0;
  std::unique_ptr<Resampler> resampler_;
};

}  // namespace parley::media
