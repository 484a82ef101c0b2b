#include "agent/call_agent.h"

#include <algorithm>
#include <map>

#include "agent/call_line.h"
#include "agent/prompts.h"
#include "core/metrics.h"

namespace parley::agent {

using namespace std::chrono;

namespace {

metrics::GaugeFamily& active_gauge() {
  static auto& g = metrics::registry().gauge("parley_agent_active_sessions", "Voice agent sessions running now");
  return g;
}
metrics::CounterFamily& ended_counter() {
  static auto& c = metrics::registry().counter("parley_agent_calls_ended_total", "Voice agent sessions ended", {"reason"});
  return c;
}
metrics::HistogramFamily& receive_buffer_histogram() {
  static auto& h = metrics::registry().histogram(
      "parley_voice_receive_buffer_seconds",
      "Caller audio held in parley's receive jitter buffer at the end of a turn (before the waterfall's vad hop)");
  return h;
}
metrics::HistogramFamily& duration_histogram() {
  static auto& h = metrics::registry().histogram("parley_agent_call_duration_seconds", "Length of voice agent sessions", {},
                                                 {1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600});
  return h;
}

// How long the agent waits for its room join before giving up on the call.
constexpr auto kJoinTimeout = seconds(30);

}  // namespace

std::string_view to_string(CallState s) {
  switch (s) {
    case CallState::kGreeting: return "greeting";
    case CallState::kListening: return "listening";
    case CallState::kThinking: return "thinking";
    case CallState::kSpeaking: return "speaking";
  }
  return "listening";
}

nlohmann::json CallSummary::to_json() const {
  nlohmann::json j = {{"room", room}, {"caller", caller}, {"reason", end_reason},
                      {"duration_seconds", std::round(duration_seconds * 1000) / 1000}, {"turns", turns},
                      {"interruptions", interruptions}};
  if (median_end_to_end) j["median_end_to_end_seconds"] = std::round(*median_end_to_end * 1000) / 1000;
  if (max_end_to_end) j["max_end_to_end_seconds"] = std::round(*max_end_to_end * 1000) / 1000;
  if (!quality.empty()) j["quality"] = quality.to_json();
  if (!greeting.is_null()) j["greeting"] = greeting;
  if (!median_turn_waterfall.is_null()) j["median_turn_waterfall"] = median_turn_waterfall;
  return j;
}

CallAgent::CallAgent(EventLoop& loop, const Clock& clock, std::shared_ptr<const Config> config, std::string room_name,
                     CallAgentDeps deps, log::Logger logger, std::function<void(const std::string&)> on_end)
    : loop_(loop),
      clock_(clock),
      config_(std::move(config)),
      room_name_(std::move(room_name)),
      deps_(std::move(deps)),
      logger_(std::move(logger)),
      on_end_(std::move(on_end)) {
  language_ = config_->agent.language.empty() ? "en" : config_->agent.language;
  summary_.room = room_name_;
}

CallAgent::~CallAgent() { stop("destroyed"); }

voice::VoicePipelineOptions CallAgent::pipeline_options() const {
  voice::VoicePipelineOptions o;
  const auto& p = prompts_for(language_);
  o.language = language_;
  o.stt_timeout = config_->providers.stt_timeout;
  o.tts_timeout = config_->providers.tts_timeout;
  o.silence_timeout = config_->calls.silence_timeout;
  const auto& e = config_->voice.endpointing;
  o.endpointing.min_delay = e.min_delay;
  o.endpointing.delay = e.delay;
  o.endpointing.max_delay = e.max_delay;
  o.endpointing.script = &deps_.providers->script();  // its intents mark a finished turn
  o.preemptive_generation = config_->voice.preemptive_generation;
  o.early_final = config_->voice.early_final;
  o.repeat_prompt = deps_.providers->script().repeat_prompt(language_);
  if (o.repeat_prompt.empty()) o.repeat_prompt = "Sorry, could you repeat that?";
  o.still_there_prompt = p.still_there;
  o.goodbye_prompt = p.silence_goodbye;
  if (deps_.continuity) {
    for (const auto& t : deps_.continuity->history) {
      o.history.push_back(providers::ChatMessage::of(
          t.role == "user" ? providers::ChatRole::kUser : providers::ChatRole::kAssistant, t.text));
    }
  }
  return o;
}

void CallAgent::start() {
  started_ = clock_.now();
  greeting_ = GreetingTimeline(deps_.received, deps_.admitted.value_or(clock_.wall()));
  active_gauge().get().inc();
  std::weak_ptr<int> weak = alive_;
  auto guard = [this, weak](auto fn) {
    return [this, weak, fn](auto&&... args) {
      if (weak.lock() && !stopped_) (this->*fn)(std::forward<decltype(args)>(args)...);
    };
  };
  CallRoomEvents ev;
  ev.on_joined = guard(&CallAgent::on_joined);
  ev.on_caller = guard(&CallAgent::on_caller);
  ev.on_caller_ringing = [this, weak](const RemoteCaller& caller) {
    if (!weak.lock() || stopped_) return;
    // The phone rings for as long as the trunk lets it; the bridge ends the call (the caller
    // leaves) when nobody answers, so the join timeout no longer applies.
    join_timer_.cancel();
    ringing_ = caller.identity;
    logger_.info("waiting for the caller's phone to be answered", {{"caller", caller.identity}});
  };
  ev.on_caller_track = [this, weak](const RemoteCaller& caller) {
    if (weak.lock() && !stopped_ && caller_ && caller.identity == caller_->identity) caller_->track_sid = caller.track_sid;
  };
  ev.on_caller_audio = [this, weak](const media::AudioFrame& f) {
    if (weak.lock() && !stopped_ && pipeline_) pipeline_->push_audio(f);
  };
  ev.on_dtmf = [this, weak](char digit) {
    if (!weak.lock() || stopped_ || !pipeline_) return;
    logger_.info("caller pressed a key", {{"digit", std::string(1, digit)}});
    if (deps_.observer) deps_.observer->on_event(std::string("dtmf:") + digit);
    pipeline_->push_dtmf(digit);
  };
  ev.on_participant_left = [this, weak](const std::string& identity) {
    if (!weak.lock() || stopped_) return;
    if (caller_ && identity == caller_->identity) return end("caller_left");
    // The bridge gave up on a phone that rang unanswered (or the callee declined).
    if (!caller_ && identity == ringing_) end("caller_left");
  };
  ev.on_disconnected = [this, weak](const std::string& reason) {
    if (weak.lock() && !stopped_) end("room_" + reason);
  };
  join_timer_ = loop_.post_after(duration_cast<milliseconds>(kJoinTimeout), [this, weak] {
    if (weak.lock() && !stopped_ && !caller_) {
      logger_.warn("no caller audio within the join timeout; giving up on the call");
      end("no_caller");
    }
  });
  deps_.room->join(std::move(ev));
}

void CallAgent::on_joined(Status status) {
  if (!status) {
    logger_.error("could not join the room", {{"error", status.error().to_string()}});
    return end("join_failed");
  }
  greeting_.joined(clock_.wall());
  logger_.info("agent joined the room; waiting for the caller's audio");
  write_continuity();
}

void CallAgent::write_continuity() {
  if (!deps_.continuity || deps_.continuity->owner.is_null() || !deps_.control || stopped_) return;
  if (continuity_writing_) {
    continuity_dirty_ = true;
    return;
  }
  std::vector<CallTurn> turns = deps_.continuity->history;
  if (pipeline_) {
    // The context holds the recovered history first: only what was said since is added.
    const auto& messages = pipeline_->context().messages;
    size_t skip = deps_.continuity->history.size();
    for (const auto& m : messages) {
      if (m.role != providers::ChatRole::kUser && m.role != providers::ChatRole::kAssistant) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      std::string text = m.text;
      if (text.empty() && m.dtmf) text = std::string("(pressed ") + *m.dtmf + ")";
      if (text.empty()) continue;
      turns.push_back({m.role == providers::ChatRole::kUser ? "user" : "assistant", text});
    }
  }
  continuity_writing_ = true;
  continuity_dirty_ = false;
  auto metadata = continuity_metadata(deps_.continuity->room_metadata, deps_.continuity->owner, turns);
  deps_.control->set_room_metadata(room_name_, metadata, on_loop_while_alive([this, n = turns.size()](Status st) {
    continuity_writing_ = false;
    if (!st) {
      logger_.warn("cannot record the call in the room's metadata; another worker could not take it over",
                   {{"error", st.error().to_string()}});
    } else {
      logger_.debug("call recorded in the room's metadata", {{"turns", n}});
    }
    if (continuity_dirty_) write_continuity();
  }));
}

void CallAgent::on_caller(const RemoteCaller& caller) {
  if (caller_) return;  // one caller per session
  join_timer_.cancel();
  greeting_.subscribed(clock_.wall());
  caller_ = caller;
  summary_.caller = caller.identity;
  // The line the call is on picks its language, greeting and engines.
  const auto line = call_line(*config_, caller.attributes);
  language_ = line.language;
  logger_.info("caller's audio subscribed",
               {{"caller", caller.identity}, {"sip", caller.sip}, {"language", language_}, {"line", line.matched}});

  recognizer_ = deps_.providers->recognizer(language_, line.stt, logger_);
  vad_ = deps_.providers->vad();
  // A hand-over inside the LLM chain (say openai → script) is marked where it happened, as the
  // pipeline's own fallbacks are: "llm_fallback:<from>:<to>".
  llm_ = deps_.providers->llm(loop_, logger_, line.llm,
                              [this, weak = std::weak_ptr<int>(alive_)](std::string_view from, std::string_view to,
                                                                        std::string_view) {
                                if (weak.expired() || !deps_.observer) return;
                                deps_.observer->on_event("llm_fallback:" + std::string(from) + ":" + std::string(to));
                              });
  voice::VoicePipelineProviders p;
  p.vad = vad_.get();
  p.stt = recognizer_.get();
  p.llm = llm_.get();
  tts_ = deps_.providers->tts(line.tts, logger_);
  for (const auto& t : tts_) p.tts.push_back(t.get());
  if (!recognizer_) logger_.warn("no speech recogniser is available: the caller can only use the keypad");

  voice::VoicePipelineHandler h;
  h.on_user_transcript = [this](const std::string& text, bool final) {
    if (!user_segment_open_) {
      ++user_segment_;
      user_segment_open_ = true;
    }
    TranscriptSegment s;
    s.participant_identity = caller_->identity;
    s.track_sid = caller_->track_sid;
    s.segment_id = "SG_user_" + std::to_string(user_segment_);
    s.text = text;
    s.final = final;
    deps_.room->publish_transcript(s);
    if (deps_.observer) deps_.observer->on_user_text(s.segment_id, text, final);
    if (final) {
      user_segment_open_ = false;
      set_state(CallState::kThinking);
    }
  };
  h.on_agent_transcript = [this](const std::string& segment, const std::string& delta, bool final) {
    TranscriptSegment s;
    s.participant_identity = deps_.room->agent_identity();
    s.track_sid = deps_.room->agent_track_sid();
    s.segment_id = segment;
    s.text = delta;
    s.final = final;
    s.agent = true;
    deps_.room->publish_transcript(s);
    if (deps_.observer) deps_.observer->on_agent_text(segment, delta, final);
    if (final) {
      agent_segment_open_ = false;
      set_state(CallState::kListening);
    } else if (!agent_segment_open_) {
      agent_segment_open_ = true;
      // The greeting is the first thing said, before any turn.
      if (state_ != CallState::kGreeting) set_state(CallState::kSpeaking);
    }
  };
  h.on_tool_call = [this](const providers::ToolCall& c) { on_tool_call(c); };
  // Latencies only (never words): the per-turn figures behind the call record's median.
  h.on_turn = [this](const voice::TurnMetrics& m) {
    auto record = m.to_json();
    // The hop before the pipeline sees the caller's audio: its wait in the jitter buffer (as the
    // room last measured it, at most 1 s ago).
    if (auto q = deps_.room->quality().caller_to_agent; q && q->buffered_ms) {
      record["receive_buffer"] = *q->buffered_ms / 1000.0;
      receive_buffer_histogram().get().observe(*q->buffered_ms / 1000.0);
    }
    logger_.info("turn finished", {{"metrics", record}});
    write_continuity();
    if (deps_.observer) deps_.observer->on_turn(m);
  };
  h.on_reply_audible = [this](const voice::TurnWaterfall& w, std::chrono::microseconds lead_in_trimmed) {
    if (!greeting_pending_) return;
    greeting_pending_ = false;
    greeting_.audible(clock_.wall(), w);
    greeting_.observe();
    summary_.greeting = greeting_.to_json();
    summary_.greeting["lead_in_trimmed"] = std::chrono::duration<double>(lead_in_trimmed).count();
    logger_.info("greeting audible", {{"greeting", summary_.greeting}});
  };
  h.on_event = [this](const char* event) {
    if (deps_.observer) deps_.observer->on_event(event);
    if (std::string_view(event) == "interruption") set_state(CallState::kListening);
  };
  h.on_hangup = [this](const std::string& reason) { hang_up(reason); };
  pipeline_ = std::make_unique<voice::VoicePipeline>(loop_, clock_, pipeline_options(), p, std::move(h), logger_);
  deps_.room->set_audio_source(pipeline_->audio_out());

  auto max = config_->calls.max_duration;
  if (max > milliseconds(0)) {
    std::weak_ptr<int> weak = alive_;
    max_duration_timer_ = loop_.post_after(max, [this, weak] {
      if (!weak.lock() || stopped_ || !pipeline_) return;
      logger_.info("the call reached calls.max_duration");
      pipeline_->say_and_hang_up(prompts_for(language_).time_limit, "max_duration");
    });
  }
  if (deps_.continuity && deps_.continuity->resumed) {
    // Taken over from a worker that died: the caller was mid-conversation, so no greeting.
    logger_.info("call resumed after its worker was lost", {{"turns_recovered", deps_.continuity->history.size()}});
    pipeline_->say(prompts_for(language_).lost_you);
    return;
  }
  // Greet first: the caller hears ringing until now (the SIP bridge answers on subscription).
  if (!line.greeting.empty()) {
    set_state(CallState::kGreeting);
    greeting_pending_ = true;
    pipeline_->say(line.greeting);
  } else {
    set_state(CallState::kListening);
  }
}

void CallAgent::set_state(CallState state) {
  if (state == state_) return;
  state_ = state;
  if (deps_.observer) deps_.observer->on_state(state);
}

void CallAgent::on_tool_call(const providers::ToolCall& call) {
  logger_.info("agent action", {{"tool", call.name}});
  if (call.name == providers::kToolEndCall) return hang_up("agent_goodbye");
  if (call.name == providers::kToolTransferCall) {
    const auto& to = config_->agent.transfer_to;
    if (to.empty() || !deps_.control || !caller_) {
      logger_.warn("transfer asked for but agent.transfer_to is not set");
      if (pipeline_) pipeline_->say(prompts_for(language_).no_transfer);
      return;
    }
    deps_.control->transfer(room_name_, caller_->identity, to, on_loop_while_alive([this](Status st) {
        if (stopped_) return;
        if (!st) {
          logger_.warn("transfer failed", {{"error", st.error().to_string()}});
          if (pipeline_) pipeline_->say(prompts_for(language_).transfer_failed);
          return;
        }
        logger_.info("caller transferred");
        end("transferred");
      }));
    return;
  }
  if (call.name == providers::kToolSendDtmf) {
    logger_.info("send_dtmf is not supported on this call; ignored");
    return;
  }
  logger_.warn("unknown tool call ignored", {{"tool", call.name}});
}

void CallAgent::hang_up(const std::string& reason) {
  if (hanging_up_ || stopped_) return;
  hanging_up_ = true;
  hangup_reason_ = reason;
  if (!deps_.control || !caller_) return end(reason);
  deps_.control->hang_up(room_name_, caller_->identity, on_loop_while_alive([this, reason](Status st) {
    if (stopped_) return;
    if (!st) logger_.warn("hanging up through the API failed; leaving the room anyway", {{"error", st.error().to_string()}});
    end(reason);
  }));
}

std::function<void(Status)> CallAgent::on_loop_while_alive(std::function<void(Status)> fn) {
  // The answer may come on any thread, and after this agent is gone (stop() does not wait for
  // requests in flight): it reaches only the loop, which outlives the agent, and the weak
  // handle, checked there, where the agent is destroyed, so `this` is touched only while it lives.
  return [&loop = loop_, weak = std::weak_ptr<int>(alive_), fn = std::move(fn)](Status st) {
    loop.post([weak, fn, st = std::move(st)] {
      if (weak.lock()) fn(st);
    });
  };
}

void CallAgent::end(const std::string& reason) {
  if (ended_ || stopped_) return;
  ended_ = true;
  // Stop now (no more audio out), then tell the owner, which calls stop() too.
  stop(reason);
  if (on_end_) on_end_(summary_.end_reason);
}

void CallAgent::stop(const std::string& why) {
  if (stopped_) return;
  stopped_ = true;
  // Once the agent hangs up, the caller leaving (seen in the room, or as admission's webhook,
  // often before RemoveParticipant's answer) is that hang-up, not the caller's doing.
  const bool gone = why == "caller_left" || why.rfind("room_", 0) == 0;
  const bool our_hangup = hanging_up_ && gone;
  // Likewise a phone that only rang and is gone was not answered (admission may see it first).
  const bool unanswered = !caller_ && !ringing_.empty() && gone;
  const std::string reason = our_hangup ? hangup_reason_ : unanswered ? "not_answered" : why;
  max_duration_timer_.cancel();
  join_timer_.cancel();
  if (pipeline_) {
    pipeline_->stop();
    summary_.turns = static_cast<int>(pipeline_->turns().size());
    std::vector<double> e2e;
    std::map<std::string, std::vector<double>> hops;
    for (const auto& t : pipeline_->turns()) {
      summary_.interruptions += t.interrupted;
      if (t.end_to_end) e2e.push_back(*t.end_to_end);
      for (const auto& h : t.hops) hops[std::string(h.hop)].push_back(h.seconds);
    }
    for (auto& [hop, values] : hops) {
      std::sort(values.begin(), values.end());
      summary_.median_turn_waterfall[hop] = std::round(values[values.size() / 2] * 1e6) / 1e6;
    }
    if (!e2e.empty()) {
      std::sort(e2e.begin(), e2e.end());
      summary_.median_end_to_end = e2e[e2e.size() / 2];
      summary_.max_end_to_end = e2e.back();
    }
  }
  // Free every buffer of the caller's audio and the agent's voice now, not when the owner
  // gets round to destroying us.
  pipeline_.reset();
  recognizer_.reset();
  vad_.reset();
  llm_.reset();
  if (deps_.room) {
    summary_.quality = deps_.room->quality();
    deps_.room->leave();
  }
  summary_.quality.observe();
  summary_.end_reason = reason;
  summary_.duration_seconds = started_ == Clock::time_point{} ? 0 : duration<double>(clock_.now() - started_).count();
  if (started_ != Clock::time_point{}) active_gauge().get().dec();
  ended_counter().with({reason}).inc();
  duration_histogram().get().observe(summary_.duration_seconds);
  logger_.info("call ended", {{"call", summary_.to_json()}});
  if (deps_.observer) deps_.observer->on_ended(reason);
}

}  // namespace parley::agent
