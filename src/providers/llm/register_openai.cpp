// "openai" in every role: OpenAI's (or an OpenAI-compatible server's) chat completions, speech
// recognition and speech, from providers.openai.
#include "core/url.h"
#include "providers/llm/openai_llm.h"
#include "providers/registry/provider_factories.h"
#include "providers/stt/openai_stt.h"
#include "providers/tts/openai_tts.h"

namespace parley {

namespace {

// What the three engines' options share: where, the credentials, the model and the role's timeout.
template <class Options>
Result<Options> openai_options(const ProvidersConfig& p, const std::string& model, Millis timeout) {
  auto u = parse_url(p.openai.base_url);
  if (!u) return make_error(ErrorCode::kInvalidArgument, "providers.openai.base_url: " + u.error().message);
  Options o;
  o.base_url = *u;
  o.api_key = p.openai.api_key;
  o.ca_file = p.ca_file;
  o.model = model;
  o.connect_timeout = timeout;
  o.idle_timeout = timeout;
  return o;
}

}  // namespace

void register_provider_openai() {
  using namespace providers;
  register_llm("openai", [](const ProviderContext& c) -> Result<std::shared_ptr<LlmProvider>> {
    const auto& p = c.config.providers;
    auto o = openai_options<OpenAiLlmOptions>(p, p.openai.llm_model, p.llm_timeout);
    if (!o) return tl::unexpected(o.error());
    o->system_prompt = p.openai.system_prompt;
    return std::make_shared<OpenAiLlm>(c.net, *o);
  });
  register_stt("openai", [](const ProviderContext& c) -> Result<RecognizerMaker> {
    const auto& p = c.config.providers;
    auto o = openai_options<OpenAiSttOptions>(p, p.openai.stt_model, p.stt_timeout);
    if (!o) return tl::unexpected(o.error());
    return [io = &c.net, o = *o](const std::string& language, const log::Logger&) mutable {
      o.language = language;
      return std::make_unique<OpenAiStt>(*io, o);
    };
  });
  register_tts("openai", [](const ProviderContext& c) -> Result<Synthesizer> {
    const auto& p = c.config.providers;
    auto o = openai_options<OpenAiTtsOptions>(p, p.openai.tts_model, p.tts_timeout);
    if (!o) return tl::unexpected(o.error());
    o->voice = p.openai.tts_voice;
    return Synthesizer{std::make_shared<OpenAiTts>(c.net, *o), {}};
  });
}

}  // namespace parley
