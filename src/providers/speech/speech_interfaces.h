// Speech engines as small asynchronous interfaces for the voice pipeline (the LiveKit Agents
// shape: push frames, flush, typed results; a fallback adapter switches engines). Network engines
// (OpenAI, Deepgram) implement them directly; the embedded blocking engines (src/providers/stt,
// tts) are adapted onto workers.
//
// Threading: methods are called on the call's loop. Callbacks may come from any thread, even
// inside the call that started them: the caller posts them to its own loop and drops those of
// work it has cancelled.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "media/audio_frame.h"

namespace parley::providers {

// Speech to text, one utterance at a time: frames go in while the caller speaks; finish() ends
// the utterance and returns its text ("" when nothing was recognised); the next push_frame()
// starts the next utterance. cancel() drops the utterance in progress and its pending finish.
class SpeechRecognizer {
 public:
  virtual ~SpeechRecognizer() = default;
  virtual std::string_view name() const = 0;
  virtual void push_frame(const media::AudioFrame& frame) = 0;
  virtual void finish(std::function<void(Result<std::string>)> done) = 0;
  virtual void cancel() = 0;
  // Interim hypotheses while the caller speaks (optional).
  virtual void set_interim_handler(std::function<void(std::string)> on_interim) { (void)on_interim; }
  // The engine's own endpointing heard the caller finish an utterance (optional: only engines
  // configured to endpoint call it). The pipeline may then end the segment before its own VAD
  // pause has passed; finish() follows as usual.
  virtual void set_end_of_utterance_handler(std::function<void()> on_end_of_utterance) { (void)on_end_of_utterance; }
  // The caller's voice paused (the VAD's first silent frame after speech). An engine whose final
  // decode takes time may end the utterance here, so that the finish() that follows the speech
  // pause answers at once, keeping the audio in case the caller goes on: then voice_resumed()
  // comes before finish(), and the utterance goes on with all of its audio. Frames pushed
  // between the two are the pause's silence. Optional; both no-ops by default.
  virtual void voice_paused() {}
  virtual void voice_resumed() {}
};

class Synthesis {
 public:
  virtual ~Synthesis() = default;
  virtual void cancel() = 0;
};

struct SynthesisHandler {
  std::function<void(media::AudioFrame audio)> on_audio;  // mono, at the requested rate; any length
  std::function<void(Status status)> on_done;             // once, last
};

// Text to speech, one sentence per request; audio may stream in chunks.
class SpeechSynthesizer {
 public:
  virtual ~SpeechSynthesizer() = default;
  virtual std::string_view name() const = 0;
  virtual std::unique_ptr<Synthesis> synthesize(std::string text, std::string language, int sample_rate,
                                                SynthesisHandler handler) = 0;
};

}  // namespace parley::providers
