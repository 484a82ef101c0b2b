// "flite": the embedded English synthesiser, on the synthesis pool.
#include <mutex>

#include <boost/asio/post.hpp>

#include "providers/registry/provider_factories.h"
#include "providers/registry/threaded_engines.h"
#include "providers/tts/flite_tts.h"

namespace parley {

void register_provider_flite() {
  providers::register_tts("flite", [](const providers::ProviderContext& c) -> Result<providers::Synthesizer> {
    auto engine = std::make_shared<providers::FliteTts>();
    // One sentence now, on the pool: flite's voice and lexicon are data in its libraries, read
    // in on first use, and otherwise the first call's greeting waits for them and the memory
    // counts as that call's.
    static std::once_flag warmed;
    std::call_once(warmed, [&] {
      boost::asio::post(c.tts_pool, [engine] { (void)engine->synthesize("Hello, how can I help you today?", {}); });
    });
    return providers::Synthesizer{make_threaded_synthesizer(c.tts_pool, engine), {}};
  });
}

}  // namespace parley
