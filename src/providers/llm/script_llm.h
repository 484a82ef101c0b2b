// The scripted dialogue as an LlmProvider: matches the latest user message (words or a keypad
// digit) against a Script and streams the answer word by word, then the intent's action as a
// tool call (end_call, transfer_call). Finishes inside chat(); never fails. Thread-safe.
#pragma once

#include <memory>

#include "providers/llm/llm_provider.h"
#include "providers/llm/script.h"

namespace parley::providers {

class ScriptLlm final : public LlmProvider {
 public:
  explicit ScriptLlm(std::shared_ptr<const Script> script) : script_(std::move(script)) {}
  // The embedded script, or the file at `path` when it is not empty.
  static Result<std::shared_ptr<ScriptLlm>> create(const std::string& path);

  std::string_view name() const override { return "script"; }
  std::unique_ptr<LlmStream> chat(const ChatContext& context, LlmHandler handler) override;
  const Script& script() const { return *script_; }

 private:
  std::shared_ptr<const Script> script_;
};

}  // namespace parley::providers
