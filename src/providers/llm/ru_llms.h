// YandexGPT and GigaChat as OpenAI-compatible LLMs (openai_llm.h), from their config sections:
// what each needs beyond OpenAI's wire format (yandexgpt.h: the model URI and Yandex Cloud's
// auth header with x-folder-id; gigachat_auth.h: the OAuth access token).
#pragma once

#include <boost/asio/io_context.hpp>

#include "core/config.h"
#include "providers/llm/openai_llm.h"

namespace parley::providers {

// providers.yandexgpt with providers.yandex's credentials and folder.
Result<OpenAiLlmOptions> yandexgpt_llm_options(const ProvidersConfig& p);

// providers.gigachat: its token is fetched on `net` and shared by every call. GigaChat's
// function calls are not OpenAI's tools, so none are offered (the script's keywords still end
// and transfer a call).
Result<OpenAiLlmOptions> gigachat_llm_options(const ProvidersConfig& p, boost::asio::io_context& net);

}  // namespace parley::providers
