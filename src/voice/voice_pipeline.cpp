#include "voice/voice_pipeline.h"

#include <algorithm>
#include <cmath>

#include "core/metrics.h"
#include "providers/llm/script.h"

namespace parley::voice {

using namespace std::chrono;
using providers::ChatMessage;
using providers::ChatRole;

namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) { return duration<double>(b - a).count(); }

metrics::CounterFamily& events_counter() {
  static auto& f = metrics::registry().counter("parley_voice_events_total",
                                               "Turn-taking and fallback events of the voice pipeline", {"event"});
  return f;
}

void count(const char* event) { events_counter().with({event}).inc(); }

// The first `fraction` of the words of `text` (what the caller heard of a sentence cut short).
std::string leading_words(const std::string& text, double fraction) {
  if (fraction >= 1.0) return text;
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  auto n = static_cast<size_t>(std::floor(fraction * static_cast<double>(words.size())));
  std::string out;
  for (size_t k = 0; k < n; ++k) out += (k ? " " : "") + words[k];
  return out;
}

}  // namespace

// Wraps a provider callback: posted to the loop, dropped once the pipeline is gone or stopped.
// The wrapper runs on the provider's thread, maybe after the pipeline is destroyed (cancel()
// cannot take back a result already on its way), so it holds the loop itself and touches
// nothing of the pipeline until the alive handle is checked on the loop, where the pipeline
// lives and dies.
template <class F>
auto VoicePipeline::posted(F f) {
  return [this, loop = &loop_, weak = std::weak_ptr<int>(alive_), f = std::move(f)](auto... args) mutable {
    loop->post([this, weak, f, args...]() mutable {
      if (weak.lock() && !stopped_) f(std::move(args)...);
    });
  };
}

VoicePipeline::VoicePipeline(EventLoop& loop, const Clock& clock, VoicePipelineOptions options,
                             VoicePipelineProviders providers, VoicePipelineHandler handler, log::Logger logger)
    : loop_(loop),
      clock_(clock),
      options_(std::move(options)),
      providers_(std::move(providers)),
      handler_(std::move(handler)),
      logger_(std::move(logger)),
      playout_(loop, options_.output_rate,
               AudioPlayout::Handler{[this](uint64_t s, bool audible) { on_segment_started(s, audible); },
                                     [this](uint64_t s) { on_segment_finished(s); }}) {
  context_.language = options_.language;
  options_.endpointing.language = options_.language;
  if (!options_.system_prompt.empty()) context_.messages.push_back(ChatMessage::system(options_.system_prompt));
  for (const auto& m : options_.history) context_.messages.push_back(m);
  if (providers_.stt) {
    providers_.stt->set_interim_handler(posted([this](std::string text) {
      if (!text.empty() && handler_.on_user_transcript) handler_.on_user_transcript(turn_text_.empty() ? text : turn_text_ + " " + text, false);
    }));
    // An engine that endpoints (Yandex's EOU classifier, when configured) ends the segment at
    // once, but only while the VAD also hears the caller quiet: a late EOU never cuts speech.
    providers_.stt->set_end_of_utterance_handler(posted([this] {
      if (!in_speech_ || silence_run_ <= microseconds(0)) return;
      count("engine_end_of_utterance");
      end_segment(clock_.now());
    }));
  }
}

VoicePipeline::~VoicePipeline() { stop(); }

void VoicePipeline::note(const char* event) {
  count(event);
  if (handler_.on_event && !stopped_) handler_.on_event(event);
}

void VoicePipeline::stop() {
  if (stopped_) return;
  stopped_ = true;
  discard_preemption("stopped");
  if (reply_) {
    if (reply_->llm) reply_->llm->cancel();
    if (reply_->tts) reply_->tts->cancel();
    reply_.reset();
  }
  if (providers_.stt) {
    providers_.stt->cancel();
    providers_.stt->set_interim_handler(nullptr);
    providers_.stt->set_end_of_utterance_handler(nullptr);
  }
  playout_.clear();
  stt_timer_.cancel();
  eou_timer_.cancel();
  false_interruption_timer_.cancel();
  silence_timer_.cancel();
  // Caller audio must not outlive the call.
  recent_.clear();
}

// ---- caller side -------------------------------------------------------------------------

void VoicePipeline::push_audio(const media::AudioFrame& frame) {
  if (stopped_ || frame.empty()) return;
  auto now = clock_.now();
  bool speech = false;
  if (providers_.vad) {
    auto r = providers_.vad->is_speech(frame);
    if (r) {
      speech = *r;
    } else if (!vad_error_logged_) {
      vad_error_logged_ = true;
      logger_.warn("vad rejected a frame; treating it as silence", {{"error", r.error().to_string()}});
    }
  }
  auto dur = frame.duration();
  const auto frame_end = now + duration_cast<nanoseconds>(dur);
  voice_end_.push(frame, speech, frame_end);
  recent_.push_back(frame);
  recent_duration_ += dur;
  while (!recent_.empty() && recent_duration_ - recent_.front().duration() >= options_.prefix_padding) {
    recent_duration_ -= recent_.front().duration();
    recent_.pop_front();
  }

  if (speech) {
    silence_run_ = microseconds(0);
    if (voice_paused_) {
      // The caller went on after a pause the recogniser had been told of.
      voice_paused_ = false;
      if (in_speech_ && providers_.stt) {
        count("early_final_resumed");
        logger_.debug("the caller went on after a pause: the recogniser's early final is dropped");
        providers_.stt->voice_resumed();
      }
    }
    if (!in_speech_) {
      speech_run_ += dur;
      if (speech_run_ >= options_.min_speech) start_segment(now);
    } else if (providers_.stt) {
      providers_.stt->push_frame(frame);
    }
    if (in_speech_) {
      // The turn's clock runs from the voice's end, not from the VAD's hangover (voice_end.h).
      last_speech_ = voice_end_.voice_end();
      check_interruption(frame_end);
    }
    return;
  }
  if (!in_speech_) {
    speech_run_ = microseconds(0);
    return;
  }
  // Trailing silence goes to the recogniser too: some need it to settle the last word.
  if (providers_.stt) providers_.stt->push_frame(frame);
  silence_run_ += dur;
  const bool overlap_pending = segment_over_reply_ && !interrupted_ && reply_;
  if (overlap_pending) {
    if (silence_run_ >= options_.overlap_pause) end_segment(now);
    return;
  }
  // The pause is counted from the voice's end too: the VAD's hangover is not waited out first.
  const auto pause = std::max(silence_run_, duration_cast<microseconds>(frame_end - last_speech_));
  if (pause >= options_.speech_pause) return end_segment(now);
  if (!voice_paused_ && options_.early_final.count() > 0 && pause >= options_.early_final && providers_.stt) {
    voice_paused_ = true;
    count("early_final");
    logger_.debug("the caller's voice paused: the recogniser's final starts",
                  {{"pause_ms", duration_cast<milliseconds>(pause).count()}});
    providers_.stt->voice_paused();
  }
}

// A strict VAD can call a word's soft start speech only a few frames in, and barge-in counts the
// caller's speech from its onset: so the onset moves back over the frames just
// before the VAD's run that stand clearly above the quietest frame of the prefix (a rising word,
// not the line's steady noise), by at most kMaxOnsetBackdate.
microseconds VoicePipeline::sound_before_speech(microseconds vad_run) const {
  constexpr auto kMaxOnsetBackdate = milliseconds(300);
  constexpr double kAboveFloorDb = 12, kMinLevelDbov = -55;
  double floor_db = 0;
  for (const auto& f : recent_) floor_db = std::min(floor_db, media::level_dbov(f.samples()));
  const double threshold = std::max(floor_db + kAboveFloorDb, kMinLevelDbov);
  microseconds in_run{0}, before{0};
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
    if (in_run < vad_run) {
      in_run += it->duration();
      continue;
    }
    if (before + it->duration() > kMaxOnsetBackdate || media::level_dbov(it->samples()) <= threshold) break;
    before += it->duration();
  }
  return before;
}

void VoicePipeline::start_segment(Clock::time_point now) {
  in_speech_ = true;
  discard_preemption("caller_went_on");
  onset_backdate_ = sound_before_speech(speech_run_);
  speech_started_ = now - duration_cast<nanoseconds>(speech_run_) + duration_cast<nanoseconds>(recent_.back().duration()) -
                    duration_cast<nanoseconds>(onset_backdate_);
  speech_run_ = microseconds(0);
  eou_timer_.cancel();
  false_interruption_timer_.cancel();
  silence_timer_.cancel();
  silence_prompts_ = 0;
  // Speech over a reply counts only if it becomes an interruption (short "mm-hm"s are dropped).
  segment_over_reply_ = reply_ != nullptr && !interrupted_;
  if (providers_.stt) {
    for (const auto& f : recent_) providers_.stt->push_frame(f);
  }
  if (handler_.on_user_speech_started) handler_.on_user_speech_started();
}

void VoicePipeline::check_interruption(Clock::time_point now) {
  if (!reply_ || !reply_->interruptible || interrupted_ || !segment_over_reply_) return;
  if (now - speech_started_ < options_.min_interruption) return;
  interrupted_ = true;
  playout_.pause();  // the track's next pull sends nothing
  note("interruption");
  logger_.debug("caller speech over the agent: audio paused",
                {{"reply", reply_->id},
                 {"speech_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - speech_started_).count()},
                 {"onset_backdated_ms", std::chrono::duration_cast<std::chrono::milliseconds>(onset_backdate_).count()}});
}

void VoicePipeline::end_segment(Clock::time_point now) {
  in_speech_ = false;
  voice_paused_ = false;
  silence_run_ = microseconds(0);
  if (segment_over_reply_ && !interrupted_ && reply_) {
    // Too short to interrupt: the agent goes on and the words are not a turn.
    if (providers_.stt) providers_.stt->cancel();
    segment_over_reply_ = false;
    count("short_overlap_ignored");
    return;
  }
  segment_over_reply_ = false;
  segment_ended_ = now;
  logger_.debug("caller speech ended",
                {{"vad_hangover_ms", duration_cast<milliseconds>(voice_end_.vad_end() - last_speech_).count()},
                 {"noise_floor_dbov", std::round(voice_end_.floor_db())}});
  if (providers_.stt) {
    ++stt_pending_;
    stt_requested_ = now;
    uint64_t seq = stt_seq_;
    providers_.stt->finish(posted([this, seq](Result<std::string> r) { on_stt_result(seq, std::move(r)); }));
    stt_timer_ = loop_.post_after(options_.stt_timeout, [this, seq] {
      if (seq != stt_seq_ || stt_pending_ == 0) return;
      providers_.stt->cancel();
      ++stt_seq_;  // whatever comes later is stale
      stt_pending_ = 0;
      on_stt_result(stt_seq_, make_error(ErrorCode::kTimeout, "no transcript within the STT timeout", true));
    });
  }
  if (interrupted_) {
    // A false interruption (no words) lets the reply go on after a while.
    false_interruption_timer_ = loop_.post_after(options_.false_interruption_timeout, [this] { resume_false_interruption(); });
  }
  maybe_commit();
}

void VoicePipeline::on_stt_result(uint64_t seq, Result<std::string> result) {
  if (seq != stt_seq_) return;
  if (stt_pending_ > 0) --stt_pending_;
  if (stt_pending_ == 0) stt_timer_.cancel();
  turn_stt_latency_ = seconds_between(stt_requested_, clock_.now());
  stt_final_at_ = clock_.now();
  if (!result) {
    turn_stt_failed_ = true;
    note("stt_error");
    logger_.warn("speech recognition failed", {{"stt", std::string(providers_.stt->name())}, {"error", result.error().to_string()}});
  } else {
    auto& text = *result;
    size_t b = text.find_first_not_of(" \t\r\n");
    if (b != std::string::npos) {
      size_t e = text.find_last_not_of(" \t\r\n");
      turn_text_ += (turn_text_.empty() ? "" : " ") + text.substr(b, e - b + 1);
      if (handler_.on_user_transcript) handler_.on_user_transcript(turn_text_, false);
    }
  }
  maybe_commit();
}

void VoicePipeline::maybe_commit() {
  if (in_speech_ || stt_pending_ > 0) return;
  if (turn_text_.empty() && !turn_stt_failed_) {
    // Noise, not words: no turn. A false interruption resumes by its timer.
    if (!reply_) arm_silence_timer();
    return;
  }
  auto delay = turn_stt_failed_ && turn_text_.empty() ? options_.endpointing.delay
                                                      : endpointing_delay(turn_text_, options_.endpointing);
  turn_wait_ = delay;
  auto due = last_speech_ + duration_cast<nanoseconds>(delay);
  auto now = clock_.now();
  if (now >= due) return commit_turn();
  eou_timer_ = loop_.post_after(ceil<milliseconds>(due - now), [this] { commit_turn(); });
  if (options_.preemptive_generation) start_preemption();
}

void VoicePipeline::start_preemption() {
  // Over a reply (a barge-in) the context will change when the turn is taken (what the caller
  // heard of the reply goes into it first): nothing to prepare then.
  if (reply_ || turn_text_.empty() || turn_stt_failed_) return;
  if (preempt_ && preempt_text_ == turn_text_) return;
  discard_preemption("words_changed");
  preempt_text_ = turn_text_;
  preempt_ = make_reply(true, "", TurnMetrics{}, std::nullopt);
  preempt_->held = true;
  auto context = context_;
  context.messages.push_back(ChatMessage::user(turn_text_));
  count("preemptive_started");
  start_llm(*preempt_, context);
}

void VoicePipeline::discard_preemption(const char* why) {
  if (!preempt_) return;
  auto r = std::move(preempt_);
  preempt_text_.clear();
  if (r->llm) r->llm->cancel();
  if (r->tts) r->tts->cancel();
  r->tts_timer.cancel();
  count("preemptive_discarded");
  logger_.debug("preemptive reply dropped", {{"reason", why}, {"reply", r->id}});
}

bool VoicePipeline::adopt_preemption(const std::string& text, const TurnMetrics& metrics, const TurnWaterfall& turn) {
  if (!preempt_) return false;
  if (reply_ || preempt_text_ != text) {
    discard_preemption("words_changed");
    return false;
  }
  auto r = std::move(preempt_);
  preempt_text_.clear();
  r->held = false;
  // The turn's record: its hops up to the turn taken; what was ready by then counts as ready at
  // that moment (0 s hops), what is not yet is marked when it comes.
  auto now = clock_.now();
  auto early = r->waterfall;
  r->waterfall = turn;
  for (Hop h : {Hop::kLlm, Hop::kFirstSentence, Hop::kTts}) {
    if (early.reached(h)) r->waterfall.mark(h, now);
  }
  auto generated = r->metrics;
  r->metrics = metrics;
  r->metrics.llm_ttft = generated.llm_ttft;
  r->metrics.tts_ttfb = generated.tts_ttfb;
  r->metrics.llm_error = generated.llm_error;
  r->metrics.preemptive = true;
  r->speech_end = turn.start();
  silence_timer_.cancel();
  context_.messages.push_back(ChatMessage::user(text));
  reply_ = std::move(r);
  count("preemptive_played");
  uint64_t id = reply_->id;
  auto held = std::move(reply_->held_audio);
  for (auto& a : held) {
    if (!reply_ || reply_->id != id) return true;
    if (a.end) playout_.end_segment(a.segment);  // may finish the reply at once
    else playout_.push(a.segment, a.frame);
  }
  if (!reply_ || reply_->id != id) return true;
  pump_tts(*reply_);
  maybe_finish_reply();
  return true;
}

void VoicePipeline::commit_turn() {
  eou_timer_.cancel();
  if (in_speech_ || stt_pending_ > 0) return;
  if (speech_run_ > microseconds(0)) {
    // The caller's voice is back but not yet min_speech long: a pause just under the wait (the
    // VAD ends a soft word early and confirms the next one late) must not lose the turn to it.
    // Wait for the run: start_segment cancels this; a run that breaks off lets the turn go.
    eou_timer_ = loop_.post_after(ceil<milliseconds>(options_.min_speech - speech_run_), [this] { commit_turn(); });
    return;
  }
  auto now = clock_.now();
  TurnMetrics m;
  m.end_of_utterance_delay = seconds_between(last_speech_, now);
  m.stt_latency = turn_stt_latency_;
  m.stt_failed = turn_stt_failed_;
  m.endpointing_wait = duration<double>(turn_wait_).count();
  m.vad_hangover = std::max(0.0, seconds_between(last_speech_, voice_end_.vad_end()));
  TurnWaterfall waterfall(last_speech_);
  waterfall.mark(Hop::kVad, segment_ended_);
  if (stt_final_at_) waterfall.mark(Hop::kStt, *stt_final_at_);
  waterfall.mark(Hop::kEndpointing, now);
  stt_final_at_.reset();
  std::string text = std::move(turn_text_);
  bool failed = turn_stt_failed_ && text.empty();
  turn_text_.clear();
  turn_stt_failed_ = false;
  turn_stt_latency_.reset();
  ++stt_seq_;
  false_interruption_timer_.cancel();
  if (reply_) cancel_reply(interrupted_);
  interrupted_ = false;

  if (failed) {
    start_reply(options_.repeat_prompt, true, "", m, waterfall);
  } else {
    if (handler_.on_user_transcript) handler_.on_user_transcript(text, true);
    if (adopt_preemption(text, m, waterfall)) return;
    context_.messages.push_back(ChatMessage::user(text));
    start_reply(std::nullopt, true, "", m, waterfall);
  }
}

void VoicePipeline::resume_false_interruption() {
  if (!interrupted_ || !reply_ || in_speech_ || stt_pending_ > 0 || !turn_text_.empty() || turn_stt_failed_) return;
  interrupted_ = false;
  note("false_interruption_resumed");
  logger_.debug("no words followed the interruption: the agent goes on", {{"reply", reply_->id}});
  playout_.resume();
  maybe_finish_reply();
}

void VoicePipeline::push_dtmf(char digit) {
  if (stopped_) return;
  ++stt_seq_;
  stt_pending_ = 0;
  turn_text_.clear();
  turn_stt_failed_ = false;
  eou_timer_.cancel();
  false_interruption_timer_.cancel();
  discard_preemption("keypad");
  if (reply_) cancel_reply(true);
  interrupted_ = false;
  ChatMessage m;
  m.role = ChatRole::kUser;
  m.dtmf = digit;
  m.text = std::string("[keypad ") + digit + "]";
  context_.messages.push_back(std::move(m));
  // The turn's latency runs from now, the digit received, to the answer's first frame.
  TurnMetrics metrics;
  metrics.keypad = digit;
  start_reply(std::nullopt, true, "", metrics);
}

void VoicePipeline::say(const std::string& text, bool allow_interruptions) {
  if (stopped_) return;
  if (reply_) cancel_reply(true);
  interrupted_ = false;
  start_reply(text, allow_interruptions, "", TurnMetrics{});
}

void VoicePipeline::say_and_hang_up(const std::string& text, const std::string& reason) {
  if (stopped_) return;
  if (reply_) cancel_reply(true);
  interrupted_ = false;
  start_reply(text, false, reason.empty() ? "agent" : reason, TurnMetrics{});
}

// ---- reply side --------------------------------------------------------------------------

std::unique_ptr<VoicePipeline::Reply> VoicePipeline::make_reply(bool interruptible, std::string hangup_reason,
                                                               TurnMetrics metrics, std::optional<TurnWaterfall> turn) {
  auto r = std::make_unique<Reply>();
  r->id = next_reply_id_++;
  r->interruptible = interruptible;
  r->hangup_reason = std::move(hangup_reason);
  r->segment_id = "SG_" + std::to_string(r->id);
  r->splitter = SentenceSplitter(options_.splitter);
  r->metrics = std::move(metrics);
  r->requested = clock_.now();
  r->waterfall = turn.value_or(TurnWaterfall(r->requested));
  r->speech_end = r->waterfall.start();
  return r;
}

void VoicePipeline::start_reply(std::optional<std::string> text, bool interruptible, std::string hangup_reason,
                                TurnMetrics metrics, std::optional<TurnWaterfall> turn) {
  silence_timer_.cancel();
  discard_preemption("reply_started");  // its context is no longer the one a turn will have
  reply_ = make_reply(interruptible, std::move(hangup_reason), std::move(metrics), std::move(turn));
  if (text) {
    uint64_t id = reply_->id;
    auto sentences = reply_->splitter.push(*text);
    if (auto rest = reply_->splitter.flush()) sentences.push_back(std::move(*rest));
    for (auto& s : sentences) {
      if (!reply_ || reply_->id != id) return;  // a sentence nothing could speak finished it
      add_sentence(*reply_, std::move(s));
    }
    maybe_finish_reply();
    return;
  }
  start_llm(*reply_, context_);
}

void VoicePipeline::start_llm(Reply& reply, const providers::ChatContext& context) {
  reply.from_llm = true;
  reply.llm_done = false;
  uint64_t id = reply.id;
  if (!providers_.llm) return on_llm_done(id, make_error(ErrorCode::kInvalidArgument, "no LLM configured"));
  providers::LlmHandler h;
  h.on_text = posted([this, id](std::string delta) {
    auto* r = find_reply(id);
    if (!r || r->llm_done) return;
    if (!r->metrics.llm_ttft) r->metrics.llm_ttft = seconds_between(r->requested, clock_.now());
    r->waterfall.mark(Hop::kLlm, clock_.now());
    for (auto& s : r->splitter.push(delta)) {
      add_sentence(*r, std::move(s));
      r = find_reply(id);  // a sentence with nothing to speak can finish the reply
      if (!r) return;
    }
  });
  h.on_tool_call = posted([this, id](providers::ToolCall call) {
    if (auto* r = find_reply(id); r && !r->llm_done) r->tools.push_back(std::move(call));
  });
  h.on_done = posted([this, id](Status s) { on_llm_done(id, std::move(s)); });
  reply.llm = providers_.llm->chat(context, std::move(h));
}

VoicePipeline::Reply* VoicePipeline::find_reply(uint64_t id) {
  if (reply_ && reply_->id == id) return reply_.get();
  if (preempt_ && preempt_->id == id) return preempt_.get();
  return nullptr;
}

void VoicePipeline::on_llm_done(uint64_t id, Status status) {
  auto* r = find_reply(id);
  if (!r || r->llm_done) return;
  r->llm_done = true;
  if (auto rest = r->splitter.flush()) {
    add_sentence(*r, std::move(*rest));
    if (!(r = find_reply(id))) return;
  }
  if (!status) {
    r->metrics.llm_error = status.error().to_string();
    note("llm_error");
    if (r->sentences.empty()) {
      // Even the last LLM in the chain failed before a word: ask again rather than fall silent.
      add_sentence(*r, options_.repeat_prompt);
      if (!(r = find_reply(id))) return;
    }
  }
  if (r == reply_.get()) maybe_finish_reply();
}

void VoicePipeline::add_sentence(Reply& r, std::string sentence) {
  r.sentences.push_back(Sentence{std::move(sentence), false});
  r.waterfall.mark(Hop::kFirstSentence, clock_.now());
  pump_tts(r);
}

void VoicePipeline::pump_tts(Reply& r) {
  if (r.tts || r.next_synth >= r.sentences.size()) return;
  // A held (preemptive) reply synthesises only its first sentence before the turn is taken.
  if (r.held && r.next_synth >= 1) return;
  r.tts_engine = 0;
  start_synthesis(r);
}

void VoicePipeline::emit_audio(Reply& r, uint64_t segment, media::AudioFrame audio) {
  if (r.held) {
    r.held_audio.push_back(HeldAudio{segment, std::move(audio), false});
    return;
  }
  playout_.push(segment, audio);
}

void VoicePipeline::emit_end(Reply& r, uint64_t segment) {
  if (r.held) {
    r.held_audio.push_back(HeldAudio{segment, {}, true});
    return;
  }
  playout_.end_segment(segment);  // may finish the reply at once
}

void VoicePipeline::start_synthesis(Reply& r) {
  auto index = r.next_synth;
  uint64_t id = r.id;
  if (r.tts_engine >= providers_.tts.size()) {
    // Nothing can speak it: the sentence goes out as a transcript only, in its turn.
    note("tts_all_failed");
    r.sentences[index].synthesized = true;
    ++r.next_synth;
    emit_end(r, segment_key(id, index));
    auto* again = find_reply(id);
    if (!again) return;
    pump_tts(*again);
    if (again == reply_.get()) maybe_finish_reply();
    return;
  }
  r.tts_audio = false;
  if (!r.first_tts) {
    r.first_tts = true;
    r.first_tts_at = clock_.now();
  }
  auto* engine = providers_.tts[r.tts_engine];
  SynthesisHandler h;
  h.on_audio = posted([this, id, index](media::AudioFrame audio) {
    auto* p = find_reply(id);
    if (!p || p->next_synth != index || !p->tts) return;
    if (!p->tts_audio) {
      p->tts_audio = true;
      p->tts_timer.cancel();
      if (index == 0 && !p->metrics.tts_ttfb) p->metrics.tts_ttfb = seconds_between(p->first_tts_at, clock_.now());
      p->waterfall.mark(Hop::kTts, clock_.now());
    }
    if (index == 0) {
      audio = p->lead_in.feed(audio);
      if (audio.empty()) return;
    }
    emit_audio(*p, segment_key(id, index), std::move(audio));
  });
  h.on_done = posted([this, id, index](Status s) {
    auto* p = find_reply(id);
    if (!p || p->next_synth != index || !p->tts) return;
    synthesis_done(*p, std::move(s));
  });
  r.tts = engine->synthesize(r.sentences[index].text, options_.language, options_.output_rate, std::move(h));
  r.tts_timer = loop_.post_after(options_.tts_timeout, [this, id, index] {
    auto* p = find_reply(id);
    if (!p || p->next_synth != index || !p->tts || p->tts_audio) return;
    synthesis_done(*p, make_error(ErrorCode::kTimeout, "no audio within the TTS timeout", true));
  });
}

void VoicePipeline::synthesis_done(Reply& r, Status status) {
  uint64_t id = r.id;
  r.tts_timer.cancel();
  auto engine = providers_.tts[r.tts_engine];
  if (r.tts) r.tts->cancel();
  r.tts.reset();
  if (!status && !r.tts_audio) {
    logger_.warn("tts failed; trying the next engine",
                 {{"tts", std::string(engine->name())}, {"error", status.error().to_string()}});
    note("tts_error");
    ++r.tts_engine;
    return start_synthesis(r);
  }
  if (!status) logger_.warn("tts failed mid-sentence", {{"tts", std::string(engine->name())}, {"error", status.error().to_string()}});
  r.sentences[r.next_synth].synthesized = true;
  auto index = r.next_synth++;
  emit_end(r, segment_key(id, index));
  auto* again = find_reply(id);
  if (!again) return;
  pump_tts(*again);
  if (again == reply_.get()) maybe_finish_reply();
}

void VoicePipeline::on_first_frame() {
  if (reply_ && !reply_->first_frame) {
    reply_->first_frame = true;
    auto now = clock_.now();
    reply_->waterfall.mark(Hop::kPacing, now);
    if (reply_->metrics.end_of_utterance_delay) {
      reply_->metrics.end_to_end = seconds_between(reply_->speech_end, now);
      reply_->metrics.hops = reply_->waterfall.hops();
      reply_->metrics.first_frame_unix = duration<double>(clock_.wall().time_since_epoch()).count();
      reply_->metrics.lead_in_trimmed = duration<double>(reply_->lead_in.trimmed()).count();
    } else if (reply_->metrics.keypad) {
      reply_->metrics.end_to_end = seconds_between(reply_->speech_end, now);  // digit to first frame
    }
    if (handler_.on_reply_audible) handler_.on_reply_audible(reply_->waterfall, reply_->lead_in.trimmed());
  }
}

void VoicePipeline::on_segment_started(uint64_t segment, bool audible) {
  if (!reply_ || (segment >> 20) != reply_->id) return;
  auto index = static_cast<size_t>(segment & 0xFFFFF);
  if (index < reply_->sentences.size()) {
    std::string delta = (reply_->published.empty() ? "" : " ") + reply_->sentences[index].text;
    reply_->published += delta;
    if (handler_.on_agent_transcript) handler_.on_agent_transcript(reply_->segment_id, delta, false);
  }
  if (audible && reply_ && (segment >> 20) == reply_->id) on_first_frame();
}

void VoicePipeline::on_segment_finished(uint64_t segment) {
  if (!reply_ || (segment >> 20) != reply_->id) return;
  reply_->played = std::max(reply_->played, static_cast<size_t>(segment & 0xFFFFF) + 1);
  maybe_finish_reply();
}

void VoicePipeline::maybe_finish_reply() {
  if (!reply_ || interrupted_) return;
  auto& r = *reply_;
  if (!r.llm_done || r.tts || r.next_synth < r.sentences.size() || r.played < r.sentences.size() || !playout_.idle()) return;
  std::string text;
  for (const auto& s : r.sentences) text += (text.empty() ? "" : " ") + s.text;
  if (!r.published.empty() && handler_.on_agent_transcript) handler_.on_agent_transcript(r.segment_id, "", true);
  ChatMessage m = ChatMessage::assistant(text);
  m.tool_calls = r.tools;
  if (!text.empty() || !m.tool_calls.empty()) context_.messages.push_back(std::move(m));
  auto done = std::move(reply_);
  if (done->from_llm || done->metrics.stt_failed) {
    done->metrics.turn = ++turn_count_;
    observe(done->metrics);
    turns_.push_back(done->metrics);
    if (handler_.on_turn) handler_.on_turn(done->metrics);
  }
  for (const auto& call : done->tools) {
    if (handler_.on_tool_call) handler_.on_tool_call(call);
    if (stopped_) return;
  }
  if (!done->hangup_reason.empty()) {
    if (handler_.on_hangup) handler_.on_hangup(done->hangup_reason);
    return;
  }
  if (!reply_ && !in_speech_) arm_silence_timer();
}

void VoicePipeline::cancel_reply(bool interrupted) {
  auto r = std::move(reply_);
  if (!r) return;
  if (r->llm) r->llm->cancel();
  if (r->tts) r->tts->cancel();
  // What the caller heard: whole sentences played, plus the played share of the current one.
  std::string heard;
  for (size_t i = 0; i < r->sentences.size(); ++i) {
    auto key = segment_key(r->id, i);
    if (i < r->played) {
      heard += (heard.empty() ? "" : " ") + r->sentences[i].text;
    } else if (int total = playout_.total_frames(key); total > 0 && i == r->played) {
      auto part = leading_words(r->sentences[i].text, double(playout_.played_frames(key)) / total);
      if (!part.empty()) heard += (heard.empty() ? "" : " ") + part;
      break;
    } else {
      break;
    }
  }
  playout_.clear();
  playout_.resume();
  if (!r->published.empty() && handler_.on_agent_transcript) handler_.on_agent_transcript(r->segment_id, "", true);
  if (!heard.empty()) {
    ChatMessage m = ChatMessage::assistant(heard);
    m.interrupted = interrupted;
    context_.messages.push_back(std::move(m));
  }
  if (r->from_llm) {
    r->metrics.turn = ++turn_count_;
    r->metrics.interrupted = true;
    observe(r->metrics);
    turns_.push_back(r->metrics);
    if (handler_.on_turn) handler_.on_turn(r->metrics);
  }
  count(interrupted ? "reply_interrupted" : "reply_cancelled");
}

void VoicePipeline::arm_silence_timer() {
  if (options_.silence_timeout <= milliseconds(0)) return;
  silence_timer_ = loop_.post_after(options_.silence_timeout, [this] { on_silence(); });
}

void VoicePipeline::on_silence() {
  if (reply_ || in_speech_ || stt_pending_ > 0) return;
  ++silence_prompts_;
  note("silence_prompt");
  if (silence_prompts_ == 1) {
    start_reply(options_.still_there_prompt, true, "", TurnMetrics{});
  } else {
    start_reply(options_.goodbye_prompt, false, "silence", TurnMetrics{});
  }
}

}  // namespace parley::voice
