#include "agent/embedded_engines.h"

#include <atomic>
#include <mutex>
#include <optional>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "providers/vad/webrtc_vad.h"
#include "voice/energy_vad.h"

namespace parley::agent {

namespace asio = boost::asio;

namespace {

class ThreadedRecognizer final : public voice::SpeechRecognizer {
 public:
  ThreadedRecognizer(asio::thread_pool& pool, std::shared_ptr<providers::SttProvider> engine, std::string language)
      : state_(std::make_shared<State>(pool, std::move(engine), std::move(language))) {}
  ~ThreadedRecognizer() override { cancel(); }

  std::string_view name() const override { return state_->engine->name(); }

  void push_frame(const media::AudioFrame& frame) override {
    asio::post(state_->strand, [s = state_, frame] {
      if (!s->open()) return;
      auto events = s->stream->push_frame(frame);
      if (!events) {
        s->failed = events.error();
        return;
      }
      std::function<void(std::string)> interim;
      {
        std::lock_guard l(s->mu);
        interim = s->on_interim;
      }
      for (auto& e : *events) {
        if (interim && e.type == providers::SttEventType::kInterim && !e.text.empty()) interim(e.text);
      }
    });
  }

  void finish(std::function<void(Result<std::string>)> done) override {
    uint64_t gen = state_->generation.load();
    asio::post(state_->strand, [s = state_, gen, done = std::move(done)] {
      if (s->generation.load() != gen) return;
      if (s->failed) {
        auto e = *s->failed;
        s->failed.reset();
        s->stream.reset();
        return done(tl::unexpected(e));
      }
      if (!s->stream) return done(std::string());  // no audio at all
      auto r = s->stream->flush();
      if (s->generation.load() != gen) return;
      if (!r) {
        s->stream.reset();
        return done(tl::unexpected(r.error()));
      }
      done(std::move(r->text));
    });
  }

  void cancel() override {
    ++state_->generation;
    asio::post(state_->strand, [s = state_] {
      s->stream.reset();  // the utterance's audio goes with it
      s->failed.reset();
    });
  }

  void set_interim_handler(std::function<void(std::string)> on_interim) override {
    std::lock_guard l(state_->mu);
    state_->on_interim = std::move(on_interim);
  }

 private:
  struct State {
    State(asio::thread_pool& pool, std::shared_ptr<providers::SttProvider> e, std::string lang)
        : strand(asio::make_strand(pool)), engine(std::move(e)), language(std::move(lang)) {}
    bool open() {
      if (stream || failed) return static_cast<bool>(stream);
      providers::SttRequest req;
      req.language = language;
      auto s = engine->open_stream(req);
      if (!s) {
        failed = s.error();
        return false;
      }
      stream = std::move(*s);
      return true;
    }
    asio::strand<asio::thread_pool::executor_type> strand;
    std::shared_ptr<providers::SttProvider> engine;
    std::string language;
    std::unique_ptr<providers::SttStream> stream;  // strand only
    std::optional<Error> failed;                   // strand only
    std::atomic<uint64_t> generation{0};
    std::mutex mu;
    std::function<void(std::string)> on_interim;
  };
  std::shared_ptr<State> state_;
};

class ThreadedSynthesizer final : public voice::SpeechSynthesizer {
 public:
  ThreadedSynthesizer(asio::thread_pool& pool, std::shared_ptr<providers::TtsProvider> engine)
      : pool_(pool), engine_(std::move(engine)) {}
  std::string_view name() const override { return engine_->name(); }

  class Job final : public voice::Synthesis {
   public:
    void cancel() override { *cancelled = true; }
    std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
  };

  std::unique_ptr<voice::Synthesis> synthesize(std::string text, std::string language, int sample_rate,
                                               voice::SynthesisHandler handler) override {
    auto job = std::make_unique<Job>();
    asio::post(pool_, [engine = engine_, text = std::move(text), language = std::move(language), sample_rate,
                       handler = std::move(handler), cancelled = job->cancelled] {
      if (*cancelled) return;
      if (!engine->supports_language(language)) {
        return handler.on_done(make_error(ErrorCode::kInvalidArgument,
                                          std::string(engine->name()) + " cannot speak language '" + language + "'"));
      }
      providers::TtsRequest req;
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
  std::shared_ptr<providers::TtsProvider> engine_;
};

class WebRtcVadDetector final : public voice::VoiceActivityDetector {
 public:
  explicit WebRtcVadDetector(std::unique_ptr<providers::WebRtcVad> vad) : vad_(std::move(vad)) {}
  Result<bool> is_speech(const media::AudioFrame& frame) override {
    auto mono = media::to_mono(frame);
    if (vad_ && providers::WebRtcVad::valid_frame(mono.sample_rate, mono.data.size())) {
      auto r = vad_->is_speech(mono.samples(), mono.sample_rate);
      if (r) {
        (void)fallback_.is_speech(mono);  // keep its noise estimate current
        return r;
      }
    }
    return fallback_.is_speech(mono);
  }

 private:
  std::unique_ptr<providers::WebRtcVad> vad_;
  voice::EnergyVad fallback_;
};

}  // namespace

std::unique_ptr<voice::SpeechRecognizer> make_threaded_recognizer(asio::thread_pool& pool,
                                                                  std::shared_ptr<providers::SttProvider> engine,
                                                                  std::string language) {
  return std::make_unique<ThreadedRecognizer>(pool, std::move(engine), std::move(language));
}

std::shared_ptr<voice::SpeechSynthesizer> make_threaded_synthesizer(asio::thread_pool& pool,
                                                                    std::shared_ptr<providers::TtsProvider> engine) {
  return std::make_shared<ThreadedSynthesizer>(pool, std::move(engine));
}

std::unique_ptr<voice::VoiceActivityDetector> make_webrtc_vad(int mode) {
  auto v = providers::WebRtcVad::create(mode);
  return std::make_unique<WebRtcVadDetector>(v ? std::move(*v) : nullptr);
}

}  // namespace parley::agent
