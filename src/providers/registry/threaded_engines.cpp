#include "providers/registry/threaded_engines.h"

#include <atomic>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

namespace parley::providers {

namespace asio = boost::asio;

namespace {

// Runs a (CPU-heavy) recogniser on the shared worker pool, one strand per call. An engine's
// decoders are few (pocketsphinx: max_decoders) and a call borrows one only while its caller
// speaks; when all are busy the utterance's audio waits here (bounded) until one frees, rather
// than failing the turn, so a handful of decoders serves many calls.
//
// The early final: when the caller's voice pauses, the utterance is ended at once on the strand
// (pocketsphinx's final pass over it takes 60-300 ms) while the pipeline's speech pause runs,
// so the finish() at the pause's end answers at once. The utterance's audio is kept: if the
// caller goes on, the stream starts the utterance again from its first frame and the text
// covers all of it, as if it had never paused.
class ThreadedRecognizer final : public SpeechRecognizer {
 public:
  ThreadedRecognizer(asio::thread_pool& pool, std::shared_ptr<SttProvider> engine, std::string language)
      : state_(std::make_shared<State>(pool, std::move(engine), std::move(language))) {}
  ~ThreadedRecognizer() override { cancel(); }

  std::string_view name() const override { return state_->engine->name(); }

  void push_frame(const media::AudioFrame& frame) override {
    asio::post(state_->strand, [s = state_, frame] {
      if (s->paused) {
        // The pause's silence: not decoded unless the caller goes on.
        if (s->after_pause.size() < kMaxBacklogFrames) s->after_pause.push_back(frame);
        return;
      }
      s->backlog.push_back(frame);
      s->feed();
    });
  }

  void voice_paused() override {
    asio::post(state_->strand, [s = state_] { s->end_early(); });
  }

  void voice_resumed() override {
    asio::post(state_->strand, [s = state_] { s->go_on(); });
  }

  void finish(std::function<void(Result<std::string>)> done) override {
    finish_on_strand(state_, state_->generation.load(), std::move(done));
  }

  void cancel() override {
    ++state_->generation;
    asio::post(state_->strand, [s = state_] { s->reset(); });  // the utterance's audio goes with it
  }

  void set_interim_handler(std::function<void(std::string)> on_interim) override {
    std::lock_guard l(state_->mu);
    state_->on_interim = std::move(on_interim);
  }

 private:
  // At most this much audio waits for a decoder; beyond it the utterance fails (the caller is
  // asked to repeat).
  static constexpr size_t kMaxBacklogFrames = 1500;  // 30 s of 20 ms frames
  static constexpr auto kRetry = std::chrono::milliseconds(20);

  struct State {
    State(asio::thread_pool& pool, std::shared_ptr<SttProvider> e, std::string lang)
        : strand(asio::make_strand(pool)), engine(std::move(e)), language(std::move(lang)) {}

    // Opens a stream when there is none; false while none can be had (busy or failed).
    bool open() {
      if (stream || failed) return static_cast<bool>(stream);
      SttRequest req;
      req.language = language;
      req.channel = channel;
      auto st = engine->open_stream(req);
      if (!st) {
        if (st.error().code != ErrorCode::kResourceExhausted) failed = st.error();
        return false;
      }
      stream = std::move(*st);
      return true;
    }
    // Feeds the waiting audio to the decoder when one is (or becomes) available.
    void feed() {
      if (failed) return backlog.clear();
      if (!open()) {
        if (backlog.size() > kMaxBacklogFrames) {
          failed = Error(ErrorCode::kResourceExhausted,
                         std::string(engine->name()) + ": no decoder became free within 30 s of speech", true);
          backlog.clear();
        }
        return;
      }
      std::function<void(std::string)> interim;
      {
        std::lock_guard l(mu);
        interim = on_interim;
      }
      while (!backlog.empty()) {
        auto events = stream->push_frame(backlog.front());
        if (utterance.size() < kMaxBacklogFrames) utterance.push_back(std::move(backlog.front()));
        else too_long = true;
        backlog.pop_front();
        if (!events) {
          failed = events.error();
          backlog.clear();
          return;
        }
        for (auto& e : *events) {
          if (interim && e.type == SttEventType::kInterim && !e.text.empty()) interim(e.text);
        }
      }
    }
    void reset() {
      stream.reset();
      failed.reset();
      backlog.clear();
      forget_utterance();
    }
    void forget_utterance() {
      utterance.clear();
      too_long = false;
      paused = false;
      early.reset();
      after_pause.clear();
    }
    // The caller paused: the utterance's final now, while its audio waits in `utterance`.
    void end_early() {
      feed();
      if (paused || failed || !stream || !backlog.empty() || too_long || utterance.empty()) return;
      auto r = stream->flush();
      paused = true;
      early = r ? Result<std::string>(std::move(r->text)) : Result<std::string>(tl::unexpected(r.error()));
    }
    // The caller went on: the utterance starts again from its first frame, then the pause.
    void go_on() {
      if (!paused) return;
      std::deque<media::AudioFrame> again(std::make_move_iterator(utterance.begin()), std::make_move_iterator(utterance.end()));
      for (auto& f : after_pause) again.push_back(std::move(f));
      for (auto& f : backlog) again.push_back(std::move(f));
      forget_utterance();
      // A fresh stream, as for any utterance (the ended one's state does not carry over).
      stream.reset();
      backlog = std::move(again);
      feed();
    }

    asio::strand<asio::thread_pool::executor_type> strand;
    std::shared_ptr<SttProvider> engine;
    std::string language;
    // What the engine learned of this caller's line, for the call's next utterance (strand only).
    std::shared_ptr<SttChannel> channel = std::make_shared<SttChannel>();
    std::unique_ptr<SttStream> stream;  // strand only
    std::optional<Error> failed;                   // strand only
    std::deque<media::AudioFrame> backlog;         // strand only: audio waiting for a decoder (zeroed when freed)
    // The early final (strand only): the utterance's audio fed so far; too_long once it passed
    // kMaxBacklogFrames (no early final then); paused once it has ended early, with its text in
    // `early` and the frames pushed since in after_pause.
    std::vector<media::AudioFrame> utterance;
    bool too_long = false;
    bool paused = false;
    std::optional<Result<std::string>> early;
    std::deque<media::AudioFrame> after_pause;
    std::atomic<uint64_t> generation{0};
    std::mutex mu;
    std::function<void(std::string)> on_interim;
  };

  static void finish_on_strand(std::shared_ptr<State> state, uint64_t gen, std::function<void(Result<std::string>)> done) {
    auto strand = state->strand;  // before `state` is moved into the handler
    asio::post(strand, [s = std::move(state), gen, done = std::move(done)]() mutable {
      if (s->generation.load() != gen) return;
      if (s->paused) {
        // Ended early and the caller did not go on: the text is ready; the pause's silence goes.
        auto text = std::move(*s->early);
        s->stream.reset();
        s->forget_utterance();
        return done(std::move(text));
      }
      s->feed();
      if (!s->failed && !s->backlog.empty()) {
        // Every decoder is busy: try again shortly (the pipeline's STT timeout bounds the wait).
        auto timer = std::make_shared<asio::steady_timer>(s->strand, kRetry);
        timer->async_wait([s, gen, timer, done = std::move(done)](const boost::system::error_code&) mutable {
          finish_on_strand(std::move(s), gen, std::move(done));
        });
        return;
      }
      if (s->failed) {
        auto e = *s->failed;
        s->reset();
        return done(tl::unexpected(e));
      }
      if (!s->stream) return done(std::string());  // no audio at all
      auto r = s->stream->flush();
      s->forget_utterance();
      // The decoder goes back to the engine's pool between utterances: a call holds one only
      // while its caller speaks.
      s->stream.reset();
      if (s->generation.load() != gen) return;
      if (!r) return done(tl::unexpected(r.error()));
      done(std::move(r->text));
    });
  }

  std::shared_ptr<State> state_;
};

class ThreadedSynthesizer final : public SpeechSynthesizer {
 public:
  ThreadedSynthesizer(asio::thread_pool& pool, std::shared_ptr<TtsProvider> engine)
      : pool_(pool), engine_(std::move(engine)) {}
  std::string_view name() const override { return engine_->name(); }

  class Job final : public Synthesis {
   public:
    void cancel() override { *cancelled = true; }
    std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  };

  std::unique_ptr<Synthesis> synthesize(std::string text, std::string language, int sample_rate,
                                               SynthesisHandler handler) override {
    auto job = std::make_unique<Job>();
    asio::post(pool_, [engine = engine_, text = std::move(text), language = std::move(language), sample_rate,
                       handler = std::move(handler), cancelled = job->cancelled] {
      if (*cancelled) return;
      if (!engine->supports_language(language)) {
        return handler.on_done(make_error(ErrorCode::kInvalidArgument,
                                          std::string(engine->name()) + " cannot speak language '" + language + "'"));
      }
      TtsRequest req;
      req.language = language;
      req.sample_rate = sample_rate;
      auto audio = engine->synthesize(text, req);
      if (*cancelled) return;
      if (!audio) return handler.on_done(tl::unexpected(audio.error()));
      handler.on_audio(std::move(*audio));
      handler.on_done({});
    });
    return job;
  }

 private:
  asio::thread_pool& pool_;
  std::shared_ptr<TtsProvider> engine_;
};

}  // namespace

std::unique_ptr<SpeechRecognizer> make_threaded_recognizer(asio::thread_pool& pool, std::shared_ptr<SttProvider> engine,
                                                           std::string language) {
  return std::make_unique<ThreadedRecognizer>(pool, std::move(engine), std::move(language));
}

std::shared_ptr<SpeechSynthesizer> make_threaded_synthesizer(asio::thread_pool& pool, std::shared_ptr<TtsProvider> engine) {
  return std::make_shared<ThreadedSynthesizer>(pool, std::move(engine));
}

}  // namespace parley::providers
