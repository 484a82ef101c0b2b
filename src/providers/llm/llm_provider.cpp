#include "providers/llm/llm_provider.h"

namespace parley::providers {

std::string_view to_string(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem: return "system";
    case ChatRole::kUser: return "user";
    case ChatRole::kAssistant: return "assistant";
    case ChatRole::kTool: return "tool";
  }
  return "unknown";
}

const ChatMessage* ChatContext::last_user() const {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->role == ChatRole::kUser) return &*it;
  }
  return nullptr;
}

}  // namespace parley::providers
