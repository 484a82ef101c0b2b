// English speech from flite (CMU, Debian flite1-dev) with the cmu_us_kal voice. Two builds of
// that voice ship: cmu_us_kal16 (16 kHz, the default here) and cmu_us_kal (8 kHz). The default
// is the wideband one because calls carry wideband audio (Opus, G.722) and a wideband speech
// recogniser — pocketsphinx's en-us model — fails on 8 kHz speech that it recognises at 16 kHz.
//
// flite keeps global state (its voice list, the lexicon, the error jump buffer), so every
// synthesis in the process runs under one mutex: calls from several threads are safe and run
// one at a time.
#pragma once

#include "providers/tts/tts_provider.h"

namespace parley::providers {

class FliteTts final : public TtsProvider {
 public:
  FliteTts() = default;
  std::string_view name() const override { return "flite"; }
  bool supports_language(std::string_view language) const override;
  // request.voice: "" or "kal16" (default, 16 kHz), "kal" (8 kHz).
  Result<media::AudioFrame> synthesize(std::string_view text, const TtsRequest& request) override;
};

}  // namespace parley::providers
