// A call on virtual time: the pipeline with scripted fakes, a caller that speaks and pauses, and
// a record of everything the pipeline put out (frames with their send times, transcripts, tool
// calls, turn metrics).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "providers/llm/fallback_llm.h"
#include "providers/llm/script_llm.h"
#include "support/eager_frame_tick.h"
#include "support/manual_event_loop.h"
#include "support/voice_fakes.h"
#include "voice/voice_pipeline.h"

namespace parley::voice {

using namespace std::chrono_literals;
using testing::FakeLlm;
using testing::FakeStt;
using testing::FakeTts;

struct SentFrame {
  Clock::time_point at;
  int16_t marker;
};

struct AgentText {
  std::string segment;
  std::string delta;
  bool final;
  Clock::time_point at;
};

class PipelineHarness {
 public:
  explicit PipelineHarness(std::vector<std::shared_ptr<providers::LlmProvider>> llm_chain = {},
                           VoicePipelineOptions opts = {}) {
    options = std::move(opts);
    script = *providers::ScriptLlm::create("");
    if (llm_chain.empty()) llm_chain.push_back(script);
    else llm_chain.push_back(script);
    llm = std::make_unique<providers::FallbackLlm>(loop, std::move(llm_chain), 1000ms);
  }

  void start() {
    VoicePipelineProviders p;
    p.vad = &vad;
    p.stt = &stt;
    p.llm = llm.get();
    p.tts = {&tts1, &tts2};
    VoicePipelineHandler h;
    h.on_user_transcript = [this](const std::string& t, bool final) {
      if (final) user_finals.push_back(t);
      else user_interims.push_back(t);
    };
    h.on_agent_transcript = [this](const std::string& seg, const std::string& d, bool final) {
      agent_texts.push_back({seg, d, final, clock.now()});
    };
    h.on_tool_call = [this](const providers::ToolCall& c) {
      tools.push_back(c.name);
      tool_times.push_back(clock.now());
    };
    h.on_turn = [this](const TurnMetrics& m) { turns.push_back(m); };
    h.on_reply_audible = [this](const TurnWaterfall& w, std::chrono::microseconds trimmed) {
      audible.push_back(w);
      lead_ins_trimmed.push_back(trimmed);
    };
    h.on_hangup = [this](const std::string& r) { hangups.push_back(r); };
    pipeline = std::make_unique<VoicePipeline>(loop, clock, options, p, std::move(h));
    // The track's side: what it pulls is what the caller hears.
    tick = std::make_unique<testing::EagerFrameTick>(loop, clock, pipeline->audio_out(), [this](const media::AudioFrame& f) {
      frames.push_back({clock.now(), f.samples()[0]});
    });
  }

  // The caller speaks (or is silent) for `d`, one 20 ms frame at a time in real order.
  void speak(std::chrono::milliseconds d) { feed(true, d); }
  void silence(std::chrono::milliseconds d) { feed(false, d); }
  void feed(bool speech, std::chrono::milliseconds d) { feed(testing::test_frame(speech), d); }
  // The same 20 ms frame, over and over for `d`.
  void feed(const media::AudioFrame& frame, std::chrono::milliseconds d) {
    for (auto t = 0ms; t < d; t += 20ms) {
      pipeline->push_audio(frame);
      loop.advance(20ms);
    }
  }

  // Everything the agent said in one string, from the transcript deltas.
  std::string agent_said() const {
    std::string s;
    for (const auto& t : agent_texts) s += t.delta;
    return s;
  }
  int finals() const {
    int n = 0;
    for (const auto& t : agent_texts) n += t.final;
    return n;
  }
  int frames_from(int16_t marker) const {
    int n = 0;
    for (const auto& f : frames) n += f.marker == marker;
    return n;
  }

  ManualClock clock;
  testing::ManualEventLoop loop{clock};
  testing::FakeVad vad;
  FakeStt stt{loop};
  FakeTts tts1{loop, "tts-one", 1111};
  FakeTts tts2{loop, "tts-two", 2222};
  std::shared_ptr<providers::ScriptLlm> script;
  std::unique_ptr<providers::FallbackLlm> llm;
  VoicePipelineOptions options;
  std::unique_ptr<VoicePipeline> pipeline;
  std::unique_ptr<testing::EagerFrameTick> tick;

  std::vector<SentFrame> frames;
  std::vector<std::string> user_finals, user_interims;
  std::vector<AgentText> agent_texts;
  std::vector<std::string> tools;
  std::vector<Clock::time_point> tool_times;
  std::vector<TurnMetrics> turns;
  std::vector<TurnWaterfall> audible;
  std::vector<std::chrono::microseconds> lead_ins_trimmed;
  std::vector<std::string> hangups;
};

}  // namespace parley::voice
