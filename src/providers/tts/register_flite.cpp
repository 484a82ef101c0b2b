// "flite": the embedded English synthesiser, on the synthesis pool.
#include "providers/registry/provider_factories.h"
#include "providers/registry/threaded_engines.h"
#include "providers/tts/flite_tts.h"

namespace parley {

void register_provider_flite() {
  providers::register_tts("flite", [](const providers::ProviderContext& c) -> Result<providers::Synthesizer> {
    return providers::Synthesizer{make_threaded_synthesizer(c.tts_pool, std::make_shared<providers::FliteTts>()), {}};
  });
}

}  // namespace parley
