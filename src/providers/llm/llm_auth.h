// Where an LLM request's Authorization header comes from. Most OpenAI-compatible services take a
// fixed one (OpenAI's and YandexGPT's "Bearer <key>", Yandex Cloud's "Api-Key <key>"); GigaChat
// takes a 30-minute access token that parley first obtains for its authorization key
// (gigachat_auth.h). The LLM asks for the header before each request.
//
// Threading: authorization() may be called from any thread; `done` runs on the provider's
// io_context thread or inline, exactly once.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/error.h"

namespace parley::providers {

class LlmAuth {
 public:
  virtual ~LlmAuth() = default;
  virtual void authorization(std::function<void(Result<std::string> header)> done) = 0;
  // The service refused the last header (HTTP 401): a cached token is dropped, so the next
  // request gets a fresh one.
  virtual void refused() {}
};

// The same header every time ("" = none).
std::shared_ptr<LlmAuth> fixed_llm_auth(std::string header);

}  // namespace parley::providers
