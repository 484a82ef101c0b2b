// A OutgoingAudio for a producer of plain PCM (parley say, the benches, test probes): push() takes
// audio at any rate and channel count, resamples it to 48 kHz mono, cuts it into 20 ms frames
// and puts them in a FrameRing for the track to pull on its tick. flush() pads the tail out to a
// whole frame once nothing more is coming. The voice pipeline does not use this: it has its own
// ring with segments (voice/audio_playout.h).
//
// Threading: push(), flush(), queued() on one producer thread at a time; pull() on the consumer's.
#pragma once

#include <chrono>
#include <memory>

#include "core/error.h"
#include "media/frame_assembler.h"
#include "media/frame_ring.h"
#include "media/resampler.h"

namespace parley::media {

class PcmSource final : public OutgoingAudio {
 public:
  static constexpr size_t kMaxFrames = 1500;  // 30 s

  PcmSource() : ring_(FrameRing::Listener{}, kMaxFrames) {}

  // kResourceExhausted when more than 30 s would be queued (nothing was taken).
  Status push(const AudioFrame& frame);
  // The tail: the rest of the audio, padded with silence to a whole frame.
  Status flush();
  // Audio pushed and not yet pulled.
  std::chrono::milliseconds queued() const;

  std::optional<AudioFrame> pull() override { return ring_.pull(); }

 private:
  FrameRing ring_;
  std::unique_ptr<Resampler> resampler_;
  FrameAssembler assembler_{48000, 1};
};

}  // namespace parley::media
