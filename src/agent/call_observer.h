// What a call's agent tells whoever watches the call (the operator console): its state, both
// sides' words, each turn's latencies and the fallbacks, as they happen. Words go here and to
// the room's lk.transcription streams only, never to the log.
//
// Threading: every method is called on the call's loop, and must return quickly (an
// implementation only records and hands on).
#pragma once

#include <string>
#include <string_view>

#include "voice/turn_metrics.h"

namespace parley::agent {

// The conversation's state as an operator sees it.
enum class CallState { kGreeting, kListening, kThinking, kSpeaking };
std::string_view to_string(CallState s);

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void on_state(CallState state) = 0;
  // The caller's words: the whole text of the segment so far (interim), then final.
  virtual void on_user_text(const std::string& segment_id, const std::string& text, bool final) = 0;
  // The agent's words: a delta of the segment as its audio starts, then final with "".
  virtual void on_agent_text(const std::string& segment_id, const std::string& delta, bool final) = 0;
  virtual void on_turn(const voice::TurnMetrics& metrics) = 0;
  // A turn-taking or fallback event (voice::VoicePipelineHandler::on_event), a keypad digit
  // ("dtmf:5"), or a hand-over inside the LLM chain ("llm_fallback:openai:script").
  virtual void on_event(const std::string& event) = 0;
  // The call is over (the call record's reason); nothing follows.
  virtual void on_ended(const std::string& reason) = 0;
};

}  // namespace parley::agent
