// Speech from espeak-ng (Debian libespeak-ng; formant synthesis at 22.05 kHz) for Russian and
// the ~100 other languages it ships; the fallback voice when flite cannot speak a language.
//
// espeak-ng keeps global state (the selected voice, the synthesis callback, its buffers), so
// every synthesis in the process runs under one mutex: calls from several threads are safe and
// run one at a time.
#pragma once

#include "providers/tts/tts_provider.h"

namespace parley::providers {

class EspeakTts final : public TtsProvider {
 public:
  EspeakTts() = default;
  std::string_view name() const override { return "espeak-ng"; }
  // True when espeak-ng has a voice for the language (e.g. "ru", "en", "de", "en-us").
  bool supports_language(std::string_view language) const override;
  // request.voice: an espeak-ng voice name (e.g. "ru", "en-us"); empty = request.language.
  // Non-ASCII text must be UTF-8.
  Result<media::AudioFrame> synthesize(std::string_view text, const TtsRequest& request) override;
};

}  // namespace parley::providers
