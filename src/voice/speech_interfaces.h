// What the voice pipeline needs from the engines: a per-frame VAD decision, and the speech
// recogniser and synthesiser interfaces of src/providers/speech. Tests drive the pipeline with
// scripted fakes of these on a ManualClock.
#pragma once

#include "core/error.h"
#include "media/audio_frame.h"
#include "providers/speech/speech_interfaces.h"

namespace parley::voice {

// Per-frame speech decision for the caller's audio (10/20/30 ms frames). Called on the loop.
class VoiceActivityDetector {
 public:
  virtual ~VoiceActivityDetector() = default;
  virtual Result<bool> is_speech(const media::AudioFrame& frame) = 0;
};

using providers::SpeechRecognizer;
using providers::SpeechSynthesizer;
using providers::Synthesis;
using providers::SynthesisHandler;

}  // namespace parley::voice
