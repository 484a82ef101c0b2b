// A chain of LLMs (config.providers.llm): the first answers; when it fails or stays silent for
// `timeout` before its first output, the next one answers instead (the last is usually the
// scripted dialogue, which never fails). Once a provider has produced output, the chain stays
// with it: an error after that ends the reply with what was said (replaying the turn on another
// model would repeat words the caller already heard).
//
// Each hand-over to the next provider is logged, counted (parley_llm_fallbacks_total) and told
// to `on_fallback` (the call's observer: the operator console marks it where it happened).
//
// Threading: chat() and cancel() on `loop`; the handler is always called on `loop`, never inside
// chat(), and never after cancel().
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "core/event_loop.h"
#include "core/log.h"
#include "providers/llm/llm_provider.h"

namespace parley::providers {

class FallbackLlm final : public LlmProvider {
 public:
  // A provider failed (`reason`: timeout, retryable_error, error) before its first output and
  // `to` answers instead. Called on `loop`, never after the reply's stream was cancelled.
  using OnFallback = std::function<void(std::string_view from, std::string_view to, std::string_view reason)>;

  FallbackLlm(EventLoop& loop, std::vector<std::shared_ptr<LlmProvider>> chain, std::chrono::milliseconds timeout,
              log::Logger logger = log::root(), OnFallback on_fallback = {});
  std::string_view name() const override { return "fallback"; }
  std::unique_ptr<LlmStream> chat(const ChatContext& context, LlmHandler handler) override;

 private:
  EventLoop& loop_;
  std::vector<std::shared_ptr<LlmProvider>> chain_;
  std::chrono::milliseconds timeout_;
  log::Logger logger_;
  OnFallback on_fallback_;
};

}  // namespace parley::providers
