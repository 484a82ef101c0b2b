// "yandex" speech recognition and speech (SpeechKit v3 over gRPC), from providers.yandex.
#include <algorithm>

#include "providers/registry/provider_factories.h"
#include "providers/stt/yandex_stt.h"
#include "providers/tts/yandex_tts.h"

namespace parley {

namespace {

// What Yandex's STT and TTS options share: where, and the credentials.
template <class Options>
Options yandex_options(const YandexConfig& y, const std::string& endpoint) {
  Options o;
  o.endpoint = endpoint;
  o.api_key = y.api_key;
  o.iam_token = y.iam_token;
  o.folder_id = y.folder_id;
  o.ca_file = y.ca_file;
  return o;
}

}  // namespace

void register_provider_yandex() {
  using namespace providers;
  register_stt("yandex", [](const ProviderContext& c) -> Result<RecognizerMaker> {
    const auto& p = c.config.providers;
    auto o = yandex_options<YandexSttOptions>(p.yandex, p.yandex.stt_endpoint);
    o.model = p.yandex.stt_model;
    o.yandex_endpointing = p.yandex.endpointing == "yandex";
    // Inside the turn's STT timeout, so the caller hears of a silent Yandex as such.
    o.finalize_timeout = std::max<std::chrono::milliseconds>(p.stt_timeout * 4 / 5, std::chrono::milliseconds(500));
    return [o](const std::string& language, const log::Logger& call_logger) mutable {
      // Yandex's codes are BCP-47 with a region: "ru" → "ru-RU", "en" → "en-US".
      if (language == "ru") {
        o.language = "ru-RU";
      } else if (language == "en") {
        o.language = "en-US";
      } else {
        o.language = language;
      }
      return std::make_unique<YandexStt>(o, call_logger);
    };
  });
  register_tts("yandex", [](const ProviderContext& c) -> Result<Synthesizer> {
    const auto& p = c.config.providers;
    auto o = yandex_options<YandexTtsOptions>(p.yandex, p.yandex.tts_endpoint);
    o.voice = p.yandex.tts_voice;
    o.role = p.yandex.tts_role;
    o.speed = p.yandex.tts_speed;
    o.timeout = p.tts_timeout;
    auto tts = std::make_shared<YandexTts>(o, c.logger);
    return Synthesizer{tts, [tts](const log::Logger& call_logger) { return tts->for_call(call_logger); }};
  });
}

}  // namespace parley
