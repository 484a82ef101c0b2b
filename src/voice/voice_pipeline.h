// One call's conversation: caller audio in → VAD → STT → endpointing → LLM → sentences → TTS →
// 20 ms paced audio out, with turn-taking, barge-in and fallbacks (the LiveKit Agents model).
//
//  - The caller's speech (VAD, min_speech) is fed to STT with prefix_padding of audio before it;
//    after speech_pause of silence the utterance's text is requested at once, and the turn is
//    taken when silence reaches the endpointing delay (endpointing.h: shorter when the words are
//    a finished turn, up to 3 s when they look unfinished) and all text is in. Both silences are
//    counted from the voice's end, not from the VAD's hangover (voice_end.h).
//  - The reply streams: LLM deltas are cut into sentences; each is synthesised while the one
//    before plays; each sentence's transcript goes out when its first frame does.
//  - Barge-in: caller speech lasting min_interruption over an interruptible reply pauses the
//    audio at once (no further frame leaves after the track's next 20 ms pull). When that speech turns out to be words, the reply
//    is dropped and only what was heard stays in the context (cut in proportion to the audio
//    played); when it was not words (a cough, a door), the reply resumes after
//    false_interruption_timeout.
//  - Fallbacks: STT error or timeout → the repeat prompt; LLM error → the LLM chain (FallbackLlm)
//    falls back to the script, and if everything fails the repeat prompt; TTS error or timeout
//    before any audio → the next synthesizer in the chain, and when all fail the sentence still
//    goes out as a transcript.
//  - Silence: no caller speech for silence_timeout after the agent spoke → still_there_prompt;
//    again → goodbye_prompt and on_hangup.
//
// Threading: everything on `loop` (the call's loop); provider callbacks are posted back to it.
// The pipeline owns its playout and reply state; the providers are shared and outlive it.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "media/audio_frame.h"
#include "providers/llm/llm_provider.h"
#include "voice/audio_playout.h"
#include "voice/endpointing.h"
#include "voice/lead_in_trimmer.h"
#include "voice/sentence_splitter.h"
#include "voice/speech_interfaces.h"
#include "voice/turn_metrics.h"
#include "voice/turn_waterfall.h"
#include "voice/voice_end.h"

namespace parley::voice {

struct VoicePipelineOptions {
  std::string language = "en";
  int output_rate = 48000;
  std::chrono::milliseconds min_speech{60};
  std::chrono::milliseconds speech_pause{200};
  // Over the agent's reply, caller speech that is not yet an interruption ends only after this
  // much silence (the VAD's minimum silence): the gaps between words must not restart the
  // min_interruption count.
  std::chrono::milliseconds overlap_pause{550};
  std::chrono::milliseconds prefix_padding{300};
  // After this much silence in the caller's speech the recogniser is told the voice paused
  // (SpeechRecognizer::voice_paused: an embedded engine starts its final decode then, during
  // the speech pause, instead of after it); 0: never. Shorter than most gaps between words
  // would make it decode again and again mid-sentence (80 ms cost a third more CPU per call
  // on bench/voice's questions; 120 ms none, and the text is in 0-16 ms after the pause).
  std::chrono::milliseconds early_final{120};
  EndpointingOptions endpointing;
  // Start the reply while the endpointing wait runs (preemptive_reply.h).
  bool preemptive_generation = false;
  std::chrono::milliseconds min_interruption{500};
  std::chrono::milliseconds false_interruption_timeout{2000};
  std::chrono::milliseconds stt_timeout{5000};
  std::chrono::milliseconds tts_timeout{5000};
  std::chrono::milliseconds silence_timeout{0};  // 0: never
  std::string system_prompt;                      // first message of the chat context
  // Turns of this call held before (a call taken over from a worker that died): the chat
  // context goes on from them.
  std::vector<providers::ChatMessage> history;
  std::string repeat_prompt = "Sorry, could you repeat that?";
  std::string still_there_prompt = "Are you still there?";
  std::string goodbye_prompt = "I will hang up now. Goodbye!";
  SentenceSplitterOptions splitter;
};

struct VoicePipelineProviders {
  VoiceActivityDetector* vad = nullptr;
  SpeechRecognizer* stt = nullptr;
  providers::LlmProvider* llm = nullptr;            // usually a FallbackLlm ending in the script
  std::vector<SpeechSynthesizer*> tts;              // chain, first first
};

struct VoicePipelineHandler {
  std::function<void(const std::string& text, bool final)> on_user_transcript;
  // Agent speech: deltas of one segment (a reply), then final=true with an empty delta.
  std::function<void(const std::string& segment_id, const std::string& delta, bool final)> on_agent_transcript;
  std::function<void(const providers::ToolCall&)> on_tool_call;  // after the reply that asked for it was heard
  std::function<void(const TurnMetrics&)> on_turn;
  // Every reply's first frame, turn or fixed text (the greeting): where its time went, and how
  // much of the engine's leading silence was cut before it (lead_in_trimmer.h).
  std::function<void(const TurnWaterfall&, std::chrono::microseconds lead_in_trimmed)> on_reply_audible;
  std::function<void(const std::string& reason)> on_hangup;      // silence timeout said goodbye
  std::function<void()> on_user_speech_started;
  // A turn-taking or fallback event, as counted in parley_voice_events_total (interruption,
  // stt_error, llm_error, tts_error, tts_all_failed, false_interruption_resumed, silence_prompt).
  std::function<void(const char* event)> on_event;
};

class VoicePipeline {
 public:
  VoicePipeline(EventLoop& loop, const Clock& clock, VoicePipelineOptions options, VoicePipelineProviders providers,
                VoicePipelineHandler handler, log::Logger logger = log::root());
  ~VoicePipeline();
  VoicePipeline(const VoicePipeline&) = delete;
  VoicePipeline& operator=(const VoicePipeline&) = delete;

  // The caller's audio, as it arrives (10–30 ms frames).
  void push_audio(const media::AudioFrame& frame);
  // A keypad digit: a user turn of its own (interrupts the reply).
  void push_dtmf(char digit);
  // Speaks fixed text (greeting, notices); replaces a reply in progress.
  void say(const std::string& text, bool allow_interruptions = true);
  // Speaks text that cannot be interrupted, then calls on_hangup(reason) (max call duration…).
  void say_and_hang_up(const std::string& text, const std::string& reason);
  // Stops everything at once: no callback after this returns.
  void stop();

  bool speaking() const { return reply_ != nullptr; }
  bool user_speaking() const { return in_speech_; }
  const providers::ChatContext& context() const { return context_; }
  const std::vector<TurnMetrics>& turns() const { return turns_; }
  uint64_t frames_sent() const { return playout_.frames_sent(); }
  // The agent's voice: 20 ms frames (output_rate, mono) for the published track to pull on the
  // media loop's tick (media/frame_ring.h). The only pacing clock is that consumer's.
  const std::shared_ptr<media::FrameRing>& audio_out() const { return playout_.source(); }

 private:
  struct Sentence {
    std::string text;
    bool synthesized = false;
  };
  // A held reply's audio (or a sentence's end), kept until the turn is taken.
  struct HeldAudio {
    uint64_t segment = 0;
    media::AudioFrame frame;
    bool end = false;
  };
  struct Reply {
    uint64_t id = 0;
    bool interruptible = true;
    bool from_llm = false;
    std::string hangup_reason;  // "": none
    std::string segment_id;
    std::unique_ptr<providers::LlmStream> llm;
    bool llm_done = true;
    SentenceSplitter splitter;
    std::vector<Sentence> sentences;
    size_t next_synth = 0;
    size_t played = 0;         // sentences whose audio has fully played
    std::string published;     // transcript sent so far
    std::unique_ptr<Synthesis> tts;
    size_t tts_engine = 0;
    bool tts_audio = false;
    TimerHandle tts_timer;
    std::vector<providers::ToolCall> tools;
    TurnMetrics metrics;
    TurnWaterfall waterfall;
    Clock::time_point requested;      // LLM or first TTS request
    Clock::time_point speech_end;     // the caller's last speech (turns only)
    bool first_frame = false;
    bool first_tts = false;
    Clock::time_point first_tts_at;
    LeadInTrimmer lead_in;  // the first sentence's leading silence
    // Preemptive: generated during the endpointing wait; its audio waits in held_audio.
    bool held = false;
    std::vector<HeldAudio> held_audio;
  };

  template <class F>
  auto posted(F f);
  // Counts the event and tells the handler.
  void note(const char* event);

  // Caller side.
  void start_segment(Clock::time_point now);
  void end_segment(Clock::time_point now);
  void on_stt_result(uint64_t seq, Result<std::string> result);
  void maybe_commit();
  void commit_turn();
  void check_interruption(Clock::time_point now);
  std::chrono::microseconds sound_before_speech(std::chrono::microseconds vad_run) const;
  void resume_false_interruption();
  // Reply side.
  std::unique_ptr<Reply> make_reply(bool interruptible, std::string hangup_reason, TurnMetrics metrics,
                                    std::optional<TurnWaterfall> turn);
  void start_reply(std::optional<std::string> text, bool interruptible, std::string hangup_reason, TurnMetrics metrics,
                   std::optional<TurnWaterfall> turn = std::nullopt);
  void start_llm(Reply& reply, const providers::ChatContext& context);
  // The reply (playing or held) with this id, if it is still wanted.
  Reply* find_reply(uint64_t id);
  void add_sentence(Reply& r, std::string sentence);
  void on_llm_done(uint64_t id, Status status);
  void pump_tts(Reply& r);
  void start_synthesis(Reply& r);
  void synthesis_done(Reply& r, Status status);
  // Audio to the playout, or into the held reply's store.
  void emit_audio(Reply& r, uint64_t segment, media::AudioFrame audio);
  void emit_end(Reply& r, uint64_t segment);
  // Preemptive generation: started while the endpointing wait runs on the words so far, played
  // at once by commit_turn when the turn's words are the same, dropped otherwise.
  void start_preemption();
  void discard_preemption(const char* why);
  bool adopt_preemption(const std::string& text, const TurnMetrics& metrics, const TurnWaterfall& turn);
  void on_segment_started(uint64_t segment, bool audible);
  void on_segment_finished(uint64_t segment);
  // The reply's first frame left: marks its time to first audio.
  void on_first_frame();
  void maybe_finish_reply();
  // Drops the reply; keeps what the caller heard in the context.
  void cancel_reply(bool interrupted);
  void arm_silence_timer();
  void on_silence();
  uint64_t segment_key(uint64_t reply, size_t sentence) const { return (reply << 20) | sentence; }

  EventLoop& loop_;
  const Clock& clock_;
  VoicePipelineOptions options_;
  VoicePipelineProviders providers_;
  VoicePipelineHandler handler_;
  log::Logger logger_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  AudioPlayout playout_;
  providers::ChatContext context_;
  bool stopped_ = false;

  // Caller side.
  std::deque<media::AudioFrame> recent_;
  std::chrono::microseconds recent_duration_{0};
  bool in_speech_ = false;
  bool segment_over_reply_ = false;
  std::chrono::microseconds speech_run_{0};
  std::chrono::microseconds silence_run_{0};
  Clock::time_point speech_started_{};
  std::chrono::microseconds onset_backdate_{0};  // sound before the VAD's run counted into speech_started_
  VoiceEndTracker voice_end_;
  Clock::time_point last_speech_{};  // the voice's end in the latest segment (voice_end.h)
  std::chrono::milliseconds turn_wait_{0};  // the endpointing wait chosen for the turn
  bool voice_paused_ = false;  // the recogniser was told the voice paused (early_final)
  uint64_t stt_seq_ = 0;       // results of older sequences are stale
  int stt_pending_ = 0;
  bool turn_stt_failed_ = false;
  std::string turn_text_;
  std::optional<double> turn_stt_latency_;
  Clock::time_point stt_requested_{};
  Clock::time_point segment_ended_{};            // the VAD's (or engine's) end of the latest segment
  std::optional<Clock::time_point> stt_final_at_;  // the latest segment's final text
  TimerHandle stt_timer_;
  TimerHandle eou_timer_;
  bool interrupted_ = false;   // the reply's audio is paused by caller speech
  TimerHandle false_interruption_timer_;
  bool vad_error_logged_ = false;

  // Reply side.
  std::unique_ptr<Reply> reply_;
  std::unique_ptr<Reply> preempt_;  // held, not yet the turn's (preemptive generation)
  std::string preempt_text_;        // the caller's words it answers
  uint64_t next_reply_id_ = 1;
  int turn_count_ = 0;
  std::vector<TurnMetrics> turns_;
  TimerHandle silence_timer_;
  int silence_prompts_ = 0;
};

}  // namespace parley::voice
