// One call's agent: joins the room, waits for the caller's audio, greets first
// (agent.greeting[language]), then converses through the voice pipeline. It publishes both
// sides as lk.transcription text streams, maps keypad digits to the script's intents, hangs up
// (end_call: RemoveParticipant of the caller) and transfers (transfer_call:
// TransferSIPParticipant to agent.transfer_to). calls.silence_timeout asks "are you still
// there?" and then says goodbye and hangs up; calls.max_duration says so and hangs up.
//
// Ends when the caller leaves, the room goes away or the agent hung up: the pipeline stops at
// once, the room is left, every audio buffer is freed (zeroed), and one "call ended" record goes
// to the log and the metrics (duration, turns, latencies, both legs' audio quality — never audio or
// words).
//
// Threading: everything on `loop` (the call's loop). on_end may be called once, on that loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/call_continuity.h"
#include "agent/call_observer.h"
#include "agent/call_room.h"
#include "agent/greeting_timeline.h"
#include "agent/provider_set.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "voice/voice_pipeline.h"

namespace parley::agent {

struct CallAgentDeps {
  std::unique_ptr<CallRoom> room;
  // Hang-up and transfer; outlives the agent. Its answers may come after the agent is gone;
  // they are dropped then, but they post to the agent's loop, so the loop must outlive them.
  CallControl* control = nullptr;
  std::shared_ptr<const ProviderSet> providers;
  // Worker mode: the room's metadata records who runs the call and its turns, and a call taken
  // over from a worker that died starts from them (agent/call_continuity.h). nullptr: neither.
  std::shared_ptr<const CallContinuity> continuity;
  // Told the call's state, words, turns and fallbacks as they happen (the operator console);
  // optional.
  std::shared_ptr<CallObserver> observer;
  // Time to greeting starts here: when parley received the call (the webhook) and when
  // admission started its session. Unset: the agent's start() stands for both.
  std::optional<std::chrono::system_clock::time_point> received;
  std::optional<std::chrono::system_clock::time_point> admitted;
};

struct CallSummary {
  std::string room;
  std::string caller;
  std::string end_reason;
  double duration_seconds = 0;
  int turns = 0;
  int interruptions = 0;
  std::optional<double> median_end_to_end;
  std::optional<double> max_end_to_end;
  CallQuality quality;  // both legs' packet loss, jitter, concealment
  nlohmann::json greeting;              // GreetingTimeline::to_json(); null when no greeting was heard
  nlohmann::json median_turn_waterfall;  // per hop, the median over the turns (voice/turn_waterfall.h)
  nlohmann::json to_json() const;
};

class CallAgent {
 public:
  CallAgent(EventLoop& loop, const Clock& clock, std::shared_ptr<const Config> config, std::string room_name,
            CallAgentDeps deps, log::Logger logger, std::function<void(const std::string& reason)> on_end);
  ~CallAgent();
  CallAgent(const CallAgent&) = delete;
  CallAgent& operator=(const CallAgent&) = delete;

  void start();
  // Stops everything and leaves (idempotent). The reason goes into the call record.
  void stop(const std::string& reason);

  bool stopped() const { return stopped_; }
  const CallSummary& summary() const { return summary_; }
  const voice::VoicePipeline* pipeline() const { return pipeline_.get(); }

 private:
  void on_joined(Status status);
  void on_caller(const RemoteCaller& caller);
  void on_tool_call(const providers::ToolCall& call);
  void hang_up(const std::string& reason);
  void end(const std::string& reason);
  // Wraps fn as a CallControl answer that runs on the loop, and only while this agent exists.
  std::function<void(Status)> on_loop_while_alive(std::function<void(Status)> fn);
  voice::VoicePipelineOptions pipeline_options() const;
  // Writes the continuity record into the room's metadata; one write at a time, the latest wins.
  void write_continuity();
  void set_state(CallState state);

  EventLoop& loop_;
  const Clock& clock_;
  std::shared_ptr<const Config> config_;
  std::string room_name_;
  CallAgentDeps deps_;
  log::Logger logger_;
  std::function<void(const std::string&)> on_end_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);

  std::string language_;
  std::optional<RemoteCaller> caller_;
  std::string ringing_;  // identity of a phone caller whose phone still rings
  std::unique_ptr<voice::SpeechRecognizer> recognizer_;
  std::unique_ptr<voice::VoiceActivityDetector> vad_;
  std::unique_ptr<providers::LlmProvider> llm_;
  std::vector<std::shared_ptr<voice::SpeechSynthesizer>> tts_;  // the call's chain (outlives pipeline_)
  std::unique_ptr<voice::VoicePipeline> pipeline_;
  Clock::time_point started_{};
  TimerHandle max_duration_timer_;
  TimerHandle join_timer_;
  int user_segment_ = 0;
  bool user_segment_open_ = false;
  bool hanging_up_ = false;
  std::string hangup_reason_;  // why the agent is hanging up (the record's reason once the caller is gone)
  bool ended_ = false;
  bool stopped_ = false;
  bool continuity_writing_ = false;
  bool continuity_dirty_ = false;
  CallState state_ = CallState::kListening;
  GreetingTimeline greeting_;
  bool greeting_pending_ = false;  // the greeting was asked for and has not been heard yet
  bool agent_segment_open_ = false;
  CallSummary summary_;
};

}  // namespace parley::agent
