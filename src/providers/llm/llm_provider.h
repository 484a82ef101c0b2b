// A language model behind one small streaming interface (in the style of LiveKit Agents' LLM
// node): a chat context in, text deltas and tool calls out, then exactly one on_done.
//
// Threading: chat() is called on the caller's loop and must not block. Handler callbacks may run
// on any thread — even inside chat() — so consumers post them to their own loop (FallbackLlm
// does). After LlmStream::cancel() returns, a provider makes no further callbacks it can avoid;
// consumers must still ignore late ones (a generation counter does). Providers are shared by
// all calls and thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace parley::providers {

enum class ChatRole { kSystem, kUser, kAssistant, kTool };
std::string_view to_string(ChatRole role);

// A function the model asks the agent to run. The agent knows three: end_call (hang up after
// the reply is spoken), transfer_call (to the configured operator) and send_dtmf ({"digits"}).
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // a JSON object as text
};

inline constexpr std::string_view kToolEndCall = "end_call";
inline constexpr std::string_view kToolTransferCall = "transfer_call";
inline constexpr std::string_view kToolSendDtmf = "send_dtmf";

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  std::string text;
  std::optional<char> dtmf;           // a user message may be a keypad digit instead of words
  std::vector<ToolCall> tool_calls;   // assistant messages
  std::string tool_call_id;           // tool results
  bool interrupted = false;           // assistant text cut short by the caller (already truncated)

  static ChatMessage of(ChatRole role, std::string text) {
    ChatMessage m;
    m.role = role;
    m.text = std::move(text);
    return m;
  }
  static ChatMessage user(std::string text) { return of(ChatRole::kUser, std::move(text)); }
  static ChatMessage assistant(std::string text) { return of(ChatRole::kAssistant, std::move(text)); }
  static ChatMessage system(std::string text) { return of(ChatRole::kSystem, std::move(text)); }
};

struct ChatContext {
  std::vector<ChatMessage> messages;
  std::string language = "en";
  // The latest user message (words or a digit), or nullptr.
  const ChatMessage* last_user() const;
};

struct LlmHandler {
  std::function<void(std::string delta)> on_text;
  std::function<void(ToolCall call)> on_tool_call;
  std::function<void(Status status)> on_done;  // once, last; errors carry retryable
};

class LlmStream {
 public:
  virtual ~LlmStream() = default;
  virtual void cancel() = 0;
};

class LlmProvider {
 public:
  virtual ~LlmProvider() = default;
  virtual std::string_view name() const = 0;
  virtual std::unique_ptr<LlmStream> chat(const ChatContext& context, LlmHandler handler) = 0;
};

// A stream with nothing to cancel (for providers that finish inside chat()).
class DoneLlmStream final : public LlmStream {
 public:
  void cancel() override {}
};

}  // namespace parley::providers
