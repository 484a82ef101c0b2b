// "espeak-ng": the embedded synthesiser of many languages, on the synthesis pool.
#include "providers/registry/provider_factories.h"
#include "providers/registry/threaded_engines.h"
#include "providers/tts/espeak_tts.h"

namespace parley {

void register_provider_espeak_ng() {
  providers::register_tts("espeak-ng", [](const providers::ProviderContext& c) -> Result<providers::Synthesizer> {
    return providers::Synthesizer{make_threaded_synthesizer(c.tts_pool, std::make_shared<providers::EspeakTts>()), {}};
  });
}

}  // namespace parley
