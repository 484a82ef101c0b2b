// "deepgram" speech recognition (streaming, over a WebSocket), from providers.deepgram.
#include <algorithm>

#include "core/url.h"
#include "providers/registry/provider_factories.h"
#include "providers/stt/deepgram_stt.h"

namespace parley {

void register_provider_deepgram() {
  using namespace providers;
  register_stt("deepgram", [](const ProviderContext& c) -> Result<RecognizerMaker> {
    const auto& p = c.config.providers;
    auto u = parse_url(p.deepgram.url);
    if (!u || !u->websocket()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "providers.deepgram.url: '" + p.deepgram.url + "' is not a ws:// or wss:// URL");
    }
    DeepgramSttOptions o;
    o.url = *u;
    o.api_key = p.deepgram.api_key;
    o.ca_file = p.ca_file;
    o.model = p.deepgram.model;
    o.connect_timeout = p.stt_timeout;
    // Inside the turn's STT timeout, so the caller hears of a silent Deepgram as such.
    o.finalize_timeout = std::max<std::chrono::milliseconds>(p.stt_timeout * 4 / 5, std::chrono::milliseconds(500));
    return [io = &c.net, o](const std::string& language, const log::Logger&) mutable {
      o.language = language;
      return std::make_unique<DeepgramStt>(*io, o);
    };
  });
}

}  // namespace parley
