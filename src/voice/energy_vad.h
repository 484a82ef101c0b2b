// A level-based voice activity detector: a frame is speech when it is louder than an absolute
// floor and than the running noise estimate by a margin. Cruder than the WebRTC VAD (no
// spectral model) but dependency-free and exact on synthetic test audio; the agent uses it
// when no better VAD is available. Not thread-safe: one per audio stream.
#pragma once

#include "voice/speech_interfaces.h"

namespace parley::voice {

struct EnergyVadOptions {
  double min_dbov = -50;     // quieter than this is never speech
  double margin_db = 10;     // speech stands this far above the noise estimate
  double noise_adapt = 0.05; // how fast the noise estimate follows non-speech frames
  double noise_rise = 0.01;  // and speech frames (a steady hum is learnt in about 2 s)
};

class EnergyVad final : public VoiceActivityDetector {
 public:
  explicit EnergyVad(EnergyVadOptions options = {}) : options_(options) {}
  Result<bool> is_speech(const media::AudioFrame& frame) override;
  double noise_dbov() const { return noise_; }

 private:
  EnergyVadOptions options_;
  double noise_ = -70;
};

}  // namespace parley::voice
