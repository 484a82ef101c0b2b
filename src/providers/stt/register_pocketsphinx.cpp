// "pocketsphinx": the embedded recogniser, on the recognition pool; its decoders are shared by
// every call (providers.pocketsphinx.max_decoders) and all load at start-up.
#include <chrono>

#include <boost/asio/post.hpp>

#include "providers/registry/provider_factories.h"
#include "providers/registry/threaded_engines.h"
#include "providers/stt/pocketsphinx_stt.h"

namespace parley {

void register_provider_pocketsphinx() {
  using namespace providers;
  register_stt("pocketsphinx", [](const ProviderContext& c) -> Result<RecognizerMaker> {
    const auto& settings = c.config.providers.pocketsphinx;
    auto ps = PocketsphinxStt::shared({.max_decoders = static_cast<size_t>(settings.max_decoders),
                                       .max_hmms_per_frame = settings.max_hmms_per_frame,
                                       .second_pass = settings.second_pass});
    if (!ps) {
      c.logger.warn("pocketsphinx is not usable; the rest of the STT chain is used", {{"error", ps.error().to_string()}});
      return RecognizerMaker();
    }
    // Every decoder loads now, on the workers, rather than under the first calls' speech.
    boost::asio::post(c.stt_pool, [ps = *ps, logger = c.logger] {
      auto t0 = std::chrono::steady_clock::now();
      if (auto s = ps->warm_up(); !s) {
        logger.warn("pocketsphinx: could not load every decoder", {{"error", s.error().to_string()}});
      }
      logger.debug("pocketsphinx decoders loaded",
                   {{"decoders", ps->decoders_created()},
                    {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()}});
    });
    std::shared_ptr<SttProvider> engine = *ps;
    return [pool = &c.stt_pool, engine](const std::string& language,
                                        const log::Logger&) -> std::unique_ptr<SpeechRecognizer> {
      if (!engine->supports_language(language)) return nullptr;
      return make_threaded_recognizer(*pool, engine, language);
    };
  });
}

}  // namespace parley
