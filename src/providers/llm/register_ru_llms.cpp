// "yandexgpt" and "gigachat": OpenAI-compatible LLMs built from their own sections (ru_llms.h).
#include "providers/llm/ru_llms.h"
#include "providers/registry/provider_factories.h"

namespace parley {

namespace {

// The OpenAI-compatible engine for the options `options` builds from the configuration.
Result<std::shared_ptr<providers::LlmProvider>> openai_compatible(const providers::ProviderContext& c,
                                                                   Result<providers::OpenAiLlmOptions> options) {
  if (!options) return tl::unexpected(options.error());
  options->connect_timeout = c.config.providers.llm_timeout;
  options->idle_timeout = c.config.providers.llm_timeout;
  return std::make_shared<providers::OpenAiLlm>(c.net, *options);
}

}  // namespace

void register_provider_ru_llms() {
  providers::register_llm("yandexgpt", [](const providers::ProviderContext& c) {
    return openai_compatible(c, providers::yandexgpt_llm_options(c.config.providers));
  });
  providers::register_llm("gigachat", [](const providers::ProviderContext& c) {
    return openai_compatible(c, providers::gigachat_llm_options(c.config.providers, c.net));
  });
}

}  // namespace parley
