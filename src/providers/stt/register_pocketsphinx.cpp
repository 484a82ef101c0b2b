// "pocketsphinx": the embedded recogniser, on the recognition pool; its decoders are shared by
// every call (providers.pocketsphinx.max_decoders) and all load at start-up.
#include <chrono>

#include <boost/asio/post.hpp>

#include "providers/registry/provider_factories.h"
#include "providers/registry/threaded_engines.h"
#include "providers/stt/pocketsphinx_stt.h"

namespace parley {

namespace {

void warm_up_next(boost::asio::thread_pool& pool, std::shared_ptr<providers::PocketsphinxStt> ps, log::Logger logger,
                  std::chrono::steady_clock::time_point started) {
  boost::asio::post(pool, [&pool, ps = std::move(ps), logger = std::move(logger), started]() mutable {
    auto more = ps->warm_up_step();
    if (more && *more) return warm_up_next(pool, std::move(ps), std::move(logger), started);
    if (!more) logger.warn("pocketsphinx: could not load every decoder", {{"error", more.error().to_string()}});
    logger.debug("pocketsphinx decoders loaded",
                 {{"decoders", ps->decoders_created()},
                  {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
  });
}

}  // namespace

void register_provider_pocketsphinx() {
  using namespace providers;
  register_stt("pocketsphinx", [](const ProviderContext& c) -> Result<RecognizerMaker> {
    const auto& settings = c.config.providers.pocketsphinx;
    auto ps = PocketsphinxStt::shared({.max_decoders = static_cast<size_t>(settings.max_decoders),
                                       .max_hmms_per_frame = settings.max_hmms_per_frame,
                                       .max_words_per_frame = settings.max_words_per_frame,
                                       .second_pass = settings.second_pass,
                                       .second_pass_max_concurrent = settings.second_pass_max_concurrent});
    if (!ps) {
      c.logger.warn("pocketsphinx is not usable; the rest of the STT chain is used", {{"error", ps.error().to_string()}});
      return RecognizerMaker();
    }
    // Every decoder loads now, on the workers, rather than under the first calls' speech: one
    // decoder per task, so that calls arriving meanwhile (a restart under load) have their
    // audio decoded between the loads instead of after all of them.
    warm_up_next(c.stt_pool, *ps, c.logger, std::chrono::steady_clock::now());
    std::shared_ptr<SttProvider> engine = *ps;
    return [pool = &c.stt_pool, engine](const std::string& language,
                                        const log::Logger&) -> std::unique_ptr<SpeechRecognizer> {
      if (!engine->supports_language(language)) return nullptr;
      return make_threaded_recognizer(*pool, engine, language);
    };
  });
}

}  // namespace parley
