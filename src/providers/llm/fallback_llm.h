// A chain of LLMs (config.providers.llm): the first answers; when it fails or stays silent for
// `timeout` before its first output, the next one answers instead (the last is usually the
// scripted dialogue, which never fails). Once a provider has produced output, the chain stays
// with it: an error after that ends the reply with what was said (replaying the turn on another
// model would repeat words the caller already heard).
//
// Threading: chat() and cancel() on `loop`; the handler is always called on `loop`, never inside
// chat(), and never after cancel().
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "core/event_loop.h"
#include "core/log.h"
#include "providers/llm/llm_provider.h"

namespace parley::providers {

class FallbackLlm final : public LlmProvider {
 public:
  FallbackLlm(EventLoop& loop, std::vector<std::shared_ptr<LlmProvider>> chain, std::chrono::milliseconds timeout,
              log::Logger logger = log::root());
  std::string_view name() const override { return "fallback"; }
  std::unique_ptr<LlmStream> chat(const ChatContext& context, LlmHandler handler) override;

 private:
  EventLoop& loop_;
  std::vector<std::shared_ptr<LlmProvider>> chain_;
  std::chrono::milliseconds timeout_;
  log::Logger logger_;
};

}  // namespace parley::providers
