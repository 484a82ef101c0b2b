// Scripted fakes of the voice pipeline's engines, on a ManualEventLoop: every latency is virtual
// time, so a test says exactly when each piece of work finishes.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "media/audio_frame.h"
#include "providers/llm/llm_provider.h"
#include "support/manual_event_loop.h"
#include "voice/speech_interfaces.h"

namespace parley::testing {

using namespace std::chrono_literals;

// Caller audio for tests: speech frames carry a non-zero level, silence is zeros.
inline media::AudioFrame test_frame(bool speech, int rate = 48000, int16_t level = 3000) {
  auto f = media::AudioFrame::silence(rate, 1, std::chrono::milliseconds(20));
  if (speech) {
    for (auto& s : f.samples()) s = level;
  }
  return f;
}

class FakeVad final : public voice::VoiceActivityDetector {
 public:
  Result<bool> is_speech(const media::AudioFrame& frame) override {
    if (frame.samples().empty()) return make_error(ErrorCode::kInvalidArgument, "empty frame");
    return frame.samples()[0] != 0;
  }
};

class FakeStt final : public voice::SpeechRecognizer {
 public:
  struct Answer {
    Result<std::string> text;
    std::chrono::milliseconds latency{100};
  };
  explicit FakeStt(EventLoop& loop) : loop_(loop) {}
  std::string_view name() const override { return "fake-stt"; }
  void push_frame(const media::AudioFrame&) override { ++frames_in_utterance; ++frames_total; }
  void finish(std::function<void(Result<std::string>)> done) override {
    ++finishes;
    frames_per_utterance.push_back(frames_in_utterance);
    frames_in_utterance = 0;
    Answer a{std::string(), 100ms};
    if (!answers.empty()) {
      a = answers.front();
      answers.pop_front();
    }
    pending_.push_back(loop_.post_after(a.latency, [done = std::move(done), r = a.text]() mutable { done(r); }));
  }
  void cancel() override {
    ++cancels;
    frames_in_utterance = 0;
    pending_.clear();
  }
  void set_end_of_utterance_handler(std::function<void()> on_eou) override { end_of_utterance = std::move(on_eou); }
  void voice_paused() override { pauses.push_back("paused@" + std::to_string(frames_in_utterance)); }
  void voice_resumed() override { pauses.push_back("resumed@" + std::to_string(frames_in_utterance)); }
  std::function<void()> end_of_utterance;  // fire it to play an engine's own endpointing
  std::vector<std::string> pauses;         // voice_paused/voice_resumed, with the frames pushed by then
  std::deque<Answer> answers;
  int frames_in_utterance = 0;
  int frames_total = 0;
  std::vector<int> frames_per_utterance;
  int finishes = 0;
  int cancels = 0;

 private:
  EventLoop& loop_;
  std::vector<TimerHandle> pending_;
};

// Speaks `ms_per_word` of audio per word, with a constant sample value naming the engine, in
// chunks of 100 ms after `latency`; or fails.
class FakeTts final : public voice::SpeechSynthesizer {
 public:
  FakeTts(EventLoop& loop, std::string name, int16_t marker) : loop_(loop), name_(std::move(name)), marker_(marker) {}
  std::string_view name() const override { return name_; }

  class Job final : public voice::Synthesis {
   public:
    void cancel() override { timers.clear(); }
    std::vector<TimerHandle> timers;
  };

  std::unique_ptr<voice::Synthesis> synthesize(std::string text, std::string language, int rate,
                                               voice::SynthesisHandler h) override {
    requests.push_back(text);
    languages.push_back(language);
    auto job = std::make_unique<Job>();
    auto handler = std::make_shared<voice::SynthesisHandler>(std::move(h));
    if (fail) {
      job->timers.push_back(loop_.post_after(latency, [handler] {
        handler->on_done(make_error(ErrorCode::kInternal, "engine broke"));
      }));
      return job;
    }
    if (hang) return job;
    int words = 1;
    for (char c : text) words += c == ' ';
    auto total = ms_per_word * words;
    auto chunk = std::chrono::milliseconds(100);
    int n = 0;
    if (lead_in.count() > 0) {  // near silence first, as flite starts every utterance
      job->timers.push_back(loop_.post_after(latency, [handler, rate, len = lead_in] {
        handler->on_audio(media::AudioFrame::silence(rate, 1, len));
      }));
      ++n;
    }
    for (auto t = std::chrono::milliseconds(0); t < total; t += chunk, ++n) {
      auto len = std::min(chunk, total - t);
      job->timers.push_back(loop_.post_after(latency + n * 5ms, [handler, rate, len, m = marker_] {
        auto f = media::AudioFrame::silence(rate, 1, len);
        for (auto& s : f.samples()) s = m;
        handler->on_audio(std::move(f));
      }));
    }
    job->timers.push_back(loop_.post_after(latency + n * 5ms, [handler] { handler->on_done({}); }));
    return job;
  }

  std::vector<std::string> requests;
  std::vector<std::string> languages;
  bool fail = false;
  bool hang = false;
  std::chrono::milliseconds latency{50};
  std::chrono::milliseconds ms_per_word{200};
  std::chrono::milliseconds lead_in{0};  // zeroed audio before the words

 private:
  EventLoop& loop_;
  std::string name_;
  int16_t marker_;
};

// A scripted model: deltas at given delays, then done or an error.
class FakeLlm final : public providers::LlmProvider {
 public:
  struct Step {
    std::chrono::milliseconds at;
    std::string text;
    bool done = false;
    std::optional<Error> error;
    std::optional<providers::ToolCall> tool;
  };
  static Step delta(std::chrono::milliseconds at, std::string t) { return {at, std::move(t), false, std::nullopt, std::nullopt}; }
  static Step finish(std::chrono::milliseconds at) { return {at, "", true, std::nullopt, std::nullopt}; }
  static Step error_at(std::chrono::milliseconds at, Error e) { return {at, "", false, std::move(e), std::nullopt}; }
  static Step tool(std::chrono::milliseconds at, std::string name) {
    return {at, "", false, std::nullopt, providers::ToolCall{"call_1", std::move(name), "{}"}};
  }

  FakeLlm(EventLoop& loop, std::vector<Step> steps) : loop_(loop), steps_(std::move(steps)) {}
  std::string_view name() const override { return "fake-llm"; }

  class Stream final : public providers::LlmStream {
   public:
    void cancel() override {
      timers.clear();
      ++*cancels;
    }
    std::vector<TimerHandle> timers;
    std::shared_ptr<int> cancels;
  };

  std::unique_ptr<providers::LlmStream> chat(const providers::ChatContext& ctx, providers::LlmHandler h) override {
    ++calls;
    contexts.push_back(ctx);
    auto s = std::make_unique<Stream>();
    s->cancels = cancels;
    auto handler = std::make_shared<providers::LlmHandler>(std::move(h));
    for (const auto& step : steps_) {
      s->timers.push_back(loop_.post_after(step.at, [handler, step] {
        if (step.error) handler->on_done(tl::unexpected(*step.error));
        else if (step.done) handler->on_done({});
        else if (step.tool) handler->on_tool_call(*step.tool);
        else handler->on_text(step.text);
      }));
    }
    return s;
  }
  int calls = 0;
  std::vector<providers::ChatContext> contexts;
  std::shared_ptr<int> cancels = std::make_shared<int>(0);

 private:
  EventLoop& loop_;
  std::vector<Step> steps_;
};

}  // namespace parley::testing
