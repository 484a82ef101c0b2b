#include "providers/llm/script_llm.h"

#include <nlohmann/json.hpp>

namespace parley::providers {

Result<std::shared_ptr<ScriptLlm>> ScriptLlm::create(const std::string& path) {
  if (path.empty()) {
    // The embedded script lives for the whole process; alias it without owning.
    return std::make_shared<ScriptLlm>(std::shared_ptr<const Script>(std::shared_ptr<void>(), &Script::embedded()));
  }
  auto s = Script::load_file(path);
  if (!s) return tl::unexpected(s.error());
  return std::make_shared<ScriptLlm>(std::make_shared<const Script>(std::move(*s)));
}

std::unique_ptr<LlmStream> ScriptLlm::chat(const ChatContext& context, LlmHandler handler) {
  const ChatMessage* user = context.last_user();
  ScriptMatch m;
  if (user && user->dtmf) m = script_->match_digit(*user->dtmf, context.language);
  else if (user) m = script_->match(user->text, context.language);
  else m = script_->match("", context.language);

  // Word by word, as a network model would stream it, so the pipeline behaves the same.
  if (handler.on_text) {
    size_t start = 0;
    while (start < m.answer.size()) {
      size_t sp = m.answer.find(' ', start);
      size_t end = sp == std::string::npos ? m.answer.size() : sp + 1;
      handler.on_text(m.answer.substr(start, end - start));
      start = end;
    }
  }
  if (m.action != ScriptAction::kNone && handler.on_tool_call) {
    ToolCall call;
    call.id = "script_" + (m.intent ? m.intent->name : std::string("default"));
    call.name = std::string(to_string(m.action));
    call.arguments = nlohmann::json{{"intent", m.intent ? m.intent->name : ""}}.dump();
    handler.on_tool_call(std::move(call));
  }
  if (handler.on_done) handler.on_done({});
  return std::make_unique<DoneLlmStream>();
}

}  // namespace parley::providers
