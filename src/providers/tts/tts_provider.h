// Text-to-speech behind one small interface: a sentence in, mono PCM at the caller's rate out.
// The voice layer splits the LLM's streamed text into sentences and synthesises them one at a
// time, so the first sentence plays while the next is being written.
//
// synthesize() blocks for the engine's run time (tens of milliseconds per sentence for the
// embedded engines): call it from a worker, not from a media loop. Implementations say whether
// calls from several threads run in parallel or one at a time.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "media/audio_frame.h"

namespace parley::providers {

struct TtsRequest {
  std::string language = "en";  // BCP 47 primary tag: "en", "ru", …
  std::string voice;            // engine-specific; empty = the engine's default for the language
  int sample_rate = 48000;      // output rate; the engine's audio is resampled to it
};

class TtsProvider {
 public:
  virtual ~TtsProvider() = default;
  virtual std::string_view name() const = 0;
  virtual bool supports_language(std::string_view language) const = 0;
  // One sentence (or a short text) → mono audio. Errors: kInvalidArgument for text or a
  // language the engine cannot speak (not retryable); kInternal when the engine fails.
  virtual Result<media::AudioFrame> synthesize(std::string_view text, const TtsRequest& request) = 0;
};

// Text longer than this is refused: callers synthesise a sentence at a time.
constexpr size_t kMaxTtsTextBytes = 4096;

}  // namespace parley::providers
