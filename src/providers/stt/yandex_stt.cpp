#include "providers/stt/yandex_stt.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "core/metrics.h"
#include "providers/yandex/yandex_grpc.h"
#include "providers/yandex_proto/yandex_stt.grpc.pb.h"

namespace parley::providers {

namespace stt = speechkit::stt::v3;
using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

namespace {

metrics::CounterFamily& errors_counter() {
  static auto& f = metrics::registry().counter("parley_stt_yandex_errors_total",
                                               "Yandex SpeechKit recognition streams ended by an error", {"code"});
  return f;
}
metrics::CounterFamily& streams_counter() {
  static auto& f = metrics::registry().counter(
      "parley_stt_yandex_streams_total",
      "Yandex SpeechKit recognition streams opened: first of a call (opened), replaced at a pause before the "
      "session limit (handover), or after an error, timeout or cancel (reopened)",
      {"event"});
  return f;
}

std::string error_label(ErrorCode code) { return std::string(to_string(code)); }

}  // namespace

struct YandexStt::Stream {
  const YandexSttOptions& options;
  log::Logger logger;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<stt::StreamingRequest, stt::StreamingResponse>> call;

  std::mutex mutex;
  std::condition_variable wake;
  std::deque<stt::StreamingRequest> queue;  // guarded
  bool closing = false;        // WritesDone once the queue is empty
  bool ended = false;          // the server finished the call
  bool closed = false;         // ... and its final status (error) is known: set after Finish()
  bool writer_done = false;
  bool in_utterance = false;
  Clock::time_point last_sent = Clock::now();
  int64_t audio_ms = 0;        // audio and silence sent, as the server counts the session's audio
  size_t bytes = 0;
  std::string finals;          // this utterance's final texts
  std::string partial;
  std::function<void(Result<std::string>)> done;  // the pending finish()
  std::optional<Clock::time_point> finalize_deadline;
  bool timed_out = false;      // a finish() ended by its timeout: the stream is not reused
  std::optional<Error> error;
  std::function<void(std::string)> on_interim;
  std::function<void()> on_end_of_utterance;
  bool eou_heard = false;      // Yandex ended the utterance before finish(), and no speech since
  std::thread writer, reader;

  Stream(const YandexSttOptions& o, log::Logger l) : options(o), logger(std::move(l)) {}

  void push(stt::StreamingRequest request) {
    {
      std::lock_guard lock(mutex);
      queue.push_back(std::move(request));
    }
    wake.notify_all();
  }

  void close() {
    {
      std::lock_guard lock(mutex);
      closing = true;
    }
    wake.notify_all();
  }

  bool usable() {
    std::lock_guard lock(mutex);
    return !ended && !closing && !timed_out && !error;
  }

  bool over_limit() {
    std::lock_guard lock(mutex);
    return audio_ms >= options.max_stream_audio.count() || bytes >= options.max_stream_bytes;
  }

  // Delivers the pending finish() (outside the lock) and starts a fresh utterance.
  void deliver(std::unique_lock<std::mutex>& lock, Result<std::string> result) {
    auto cb = std::move(done);
    done = nullptr;
    finalize_deadline.reset();
    eou_heard = false;
    finals.clear();
    partial.clear();
    in_utterance = false;
    lock.unlock();
    if (cb) cb(std::move(result));
    lock.lock();
  }

  void run_writer() {
    std::unique_lock lock(mutex);
    while (true) {
      auto wait_until = last_sent + options.silence_interval;
      if (finalize_deadline && *finalize_deadline < wait_until) wait_until = *finalize_deadline;
      wake.wait_until(lock, wait_until, [&] { return !queue.empty() || closing || ended; });
      if (ended) break;
      auto now = Clock::now();
      if (finalize_deadline && now >= *finalize_deadline && done) {
        timed_out = true;
        std::string text = finals.empty() ? partial : finals;
        logger.warn("yandex stt: no end of utterance in time",
                    {{"timeout_ms", options.finalize_timeout.count()}, {"have_text", !text.empty()}});
        if (text.empty()) {
          errors_counter().with({error_label(ErrorCode::kTimeout)}).inc();
          deliver(lock, make_error(ErrorCode::kTimeout, "yandex stt: no final result within " +
                                                            std::to_string(options.finalize_timeout.count()) + " ms",
                                   true));
        } else {
          deliver(lock, text);
        }
        continue;
      }
      stt::StreamingRequest request;
      if (!queue.empty()) {
        request = std::move(queue.front());
        queue.pop_front();
      } else if (closing) {
        lock.unlock();
        call->WritesDone();
        lock.lock();
        break;
      } else if (now - last_sent >= options.silence_interval) {
        // The caller is quiet between utterances: stand for that silence, so the idle cut never comes.
        request.mutable_silence_chunk()->set_duration_ms(duration_cast<milliseconds>(now - last_sent).count());
        if (!in_utterance && !done && audio_ms >= options.max_stream_audio.count()) {
          closing = true;  // at a pause and near the limit: hand over to a new stream
          continue;
        }
      } else {
        continue;
      }
      if (request.has_chunk()) {
        bytes += request.chunk().data().size();
      } else if (request.has_silence_chunk()) {
        audio_ms += request.silence_chunk().duration_ms();
      }
      last_sent = now;
      lock.unlock();
      bool ok = call->Write(request);
      lock.lock();
      if (!ok) break;  // the call is over; the reader reports why
    }
    writer_done = true;
    wake.notify_all();
  }

  void run_reader() {
    stt::StreamingResponse response;
    while (call->Read(&response)) {
      std::unique_lock lock(mutex);
      switch (response.Event_case()) {
        case stt::StreamingResponse::kPartial:
          if (response.partial().alternatives_size() > 0) {
            partial = response.partial().alternatives(0).text();
            if (!partial.empty()) eou_heard = false;  // the caller spoke again after Yandex's EOU
            if (on_interim && in_utterance && !partial.empty()) {
              auto cb = on_interim;
              auto text = finals.empty() ? partial : finals + " " + partial;
              lock.unlock();
              cb(text);
              lock.lock();
            }
          }
          break;
        case stt::StreamingResponse::kFinal:
          if (response.final().alternatives_size() > 0 && !response.final().alternatives(0).text().empty()) {
            if (!finals.empty()) finals += ' ';
            finals += response.final().alternatives(0).text();
          }
          partial.clear();
          break;
        case stt::StreamingResponse::kEouUpdate:
          // Yandex's classifier ended an utterance. While parley waits for one, it is the answer;
          // otherwise the caller is still talking by parley's endpointing and the finals add up.
          if (done) {
            deliver(lock, finals);
          } else if (in_utterance && !finals.empty()) {
            // Remembered either way: when parley's own pause ends the turn later and nothing
            // was said since, finish() answers at once instead of waiting for an EOU that
            // already came (Yandex's pause threshold can be shorter than parley's).
            eou_heard = true;
            if (options.yandex_endpointing && on_end_of_utterance) {
              auto cb = on_end_of_utterance;
              lock.unlock();
              cb();
              lock.lock();
            }
          }
          break;
        case stt::StreamingResponse::kStatusCode:
          if (response.status_code().code_type() != stt::WORKING) {
            logger.info("yandex stt: session status", {{"code", stt::CodeType_Name(response.status_code().code_type())},
                                                      {"message", response.status_code().message()}});
          }
          break;
        default:
          break;
      }
    }
    {
      std::unique_lock lock(mutex);
      ended = true;
      wake.notify_all();
      wake.wait(lock, [&] { return writer_done; });
    }
    grpc::Status status = call->Finish();
    std::unique_lock lock(mutex);
    if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED) {
      error = yandex_error(status, "stt");
      errors_counter().with({error_label(error->code)}).inc();
      logger.warn("yandex stt: stream ended by an error",
                  {{"grpc_code", static_cast<int>(status.error_code())}, {"error", error->to_string()}});
    }
    closed = true;
    if (done) {
      if (error) {
        deliver(lock, tl::unexpected(*error));
      } else if (!finals.empty() || !partial.empty()) {
        deliver(lock, finals.empty() ? partial : finals);
      } else {
        deliver(lock, make_error(ErrorCode::kUnavailable, "yandex stt: the server closed the stream before a result", true));
      }
    }
  }
};

YandexStt::YandexStt(YandexSttOptions options, log::Logger logger)
    : options_(std::move(options)),
      logger_(std::move(logger)),
      channel_(yandex_channel(options_.endpoint, options_.ca_file)) {}

YandexStt::~YandexStt() {
  std::vector<std::shared_ptr<Stream>> all = std::move(retired_);
  if (stream_) all.push_back(std::move(stream_));
  for (auto& s : all) s->context.TryCancel();
  for (auto& s : all) {
    if (s->writer.joinable()) s->writer.join();
    if (s->reader.joinable()) s->reader.join();
  }
}

Status YandexStt::open_stream(int rate, const char* reason) {
  auto s = std::make_shared<Stream>(options_, logger_);
  if (auto a = add_yandex_auth(s->context, {options_.api_key, options_.iam_token, options_.folder_id}, "stt"); !a) return a;
  // A backstop past the session limit: a stream is replaced well before it.
  s->context.set_deadline(std::chrono::system_clock::now() + options_.max_stream_audio + std::chrono::seconds(90));
  auto stub = stt::Recognizer::NewStub(channel_);
  s->call = stub->RecognizeStreaming(&s->context);
  s->on_interim = on_interim_;
  s->on_end_of_utterance = on_end_of_utterance_;

  stt::StreamingRequest first;
  auto* model = first.mutable_session_options()->mutable_recognition_model();
  model->set_model(options_.model);
  auto* raw = model->mutable_audio_format()->mutable_raw_audio();
  raw->set_audio_encoding(stt::RawAudio::LINEAR16_PCM);
  raw->set_sample_rate_hertz(rate);
  raw->set_audio_channel_count(1);
  model->mutable_text_normalization()->set_text_normalization(stt::TextNormalizationOptions::TEXT_NORMALIZATION_ENABLED);
  model->mutable_language_restriction()->set_restriction_type(stt::LanguageRestrictionOptions::WHITELIST);
  model->mutable_language_restriction()->add_language_code(options_.language);
  model->set_audio_processing_type(stt::RecognitionModelOptions::REAL_TIME);
  first.mutable_session_options()->mutable_eou_classifier()->mutable_default_classifier()->set_type(
      stt::DefaultEouClassifier::DEFAULT);
  s->push(std::move(first));

  s->writer = std::thread([s] { s->run_writer(); });
  s->reader = std::thread([s] { s->run_reader(); });
  stream_rate_ = rate;
  streams_counter().with({reason}).inc();
  const std::string what = reason == std::string("handover") ? "yandex stt: stream handed over to a new one before the session limit"
                                                             : std::string("yandex stt: stream ") + reason;
  logger_.info(what, {{"endpoint", options_.endpoint}, {"rate", rate}, {"language", options_.language}});
  stream_ = std::move(s);
  return {};
}

void YandexStt::retire_stream(bool graceful) {
  if (!stream_) return;
  if (graceful) {
    stream_->close();
  } else {
    stream_->context.TryCancel();
  }
  retired_.push_back(std::move(stream_));
  // Join the ones that have ended, so a long call does not pile up threads.
  std::erase_if(retired_, [](const std::shared_ptr<Stream>& s) {
    {
      std::lock_guard lock(s->mutex);
      if (!s->ended || !s->writer_done) return false;
    }
    s->writer.join();
    s->reader.join();
    return true;
  });
}

void YandexStt::push_frame(const media::AudioFrame& in) {
  if (in.empty()) return;
  media::AudioFrame frame = in.channels == 1 ? in : media::to_mono(in);
  // LINEAR16 at the call's own rate when Yandex takes it (8–48 kHz), so telephone audio is not
  // upsampled for nothing; any other rate is resampled to 16 kHz.
  if (frame.sample_rate != input_rate_) {
    input_rate_ = frame.sample_rate;
    resampler_.reset();
    if (input_rate_ < 8000 || input_rate_ > 48000) {
      auto r = media::Resampler::create(input_rate_, 16000, 1);
      if (r) resampler_ = std::move(*r);
    }
  }
  if (resampler_) {
    auto r = resampler_->process(frame);
    if (!r) return;
    frame = std::move(*r);
  }
  const char* reason = "opened";
  if (stream_) {
    bool at_pause, failed, has_error;
    {
      std::lock_guard lock(stream_->mutex);
      at_pause = !stream_->in_utterance && !stream_->done;
      has_error = stream_->error.has_value() || stream_->timed_out;
      failed = stream_->ended || has_error;
    }
    // A stream that failed inside an utterance stays until finish() reports why: reopening at
    // every frame would hammer a service that refuses the key or the quota.
    if (failed && !at_pause) return;
    // Near the limit (or already closed for it by the writer during a long pause): hand over.
    if (at_pause && !has_error && stream_->over_limit()) {
      reason = "handover";
      retire_stream(true);  // nothing is pending on it: let it close cleanly
    } else if (!stream_->usable() || frame.sample_rate != stream_rate_) {
      reason = "reopened";
      retire_stream(stream_->usable());
    }
  }
  if (!stream_) {
    if (auto s = open_stream(frame.sample_rate, reason); !s) {
      logger_.warn("yandex stt: cannot open a stream", {{"error", s.error().to_string()}});
      return;
    }
  }
  stt::StreamingRequest request;
  auto samples = frame.samples();
  request.mutable_chunk()->set_data(reinterpret_cast<const char*>(samples.data()), samples.size() * sizeof(int16_t));
  {
    std::lock_guard lock(stream_->mutex);
    stream_->in_utterance = true;
    stream_->audio_ms += duration_cast<milliseconds>(frame.duration()).count();
  }
  stream_->push(std::move(request));
}

void YandexStt::finish(std::function<void(Result<std::string>)> done) {
  if (!stream_) {
    done(std::string());
    return;
  }
  std::unique_lock lock(stream_->mutex);
  if (stream_->in_utterance && stream_->ended && !stream_->closed) {
    // The stream is ending but its status is not read yet (a refused connection ends it at
    // once): the reader answers when it knows the error, instead of "" for an utterance lost.
    stream_->done = std::move(done);
    return;
  }
  if (!stream_->in_utterance || stream_->ended) {
    auto error = stream_->error;
    stream_->in_utterance = false;  // the next frame starts the next utterance (on a new stream)
    lock.unlock();
    if (error) {
      done(tl::unexpected(*error));
    } else {
      done(std::string());
    }
    return;
  }
  if (stream_->eou_heard && !stream_->finals.empty()) {
    // Yandex already ended this utterance and heard nothing since: its finals are the answer.
    stream_->done = std::move(done);
    stream_->deliver(lock, stream_->finals);
    return;
  }
  stream_->done = std::move(done);
  stream_->finalize_deadline = Clock::now() + options_.finalize_timeout;
  stt::StreamingRequest silence;
  silence.mutable_silence_chunk()->set_duration_ms(options_.finish_silence.count());
  stream_->queue.push_back(std::move(silence));
  lock.unlock();
  stream_->wake.notify_all();
}

void YandexStt::cancel() {
  // Results still on their way belong to the cancelled utterance: a new stream starts clean.
  if (!stream_) return;
  {
    std::lock_guard lock(stream_->mutex);
    stream_->done = nullptr;
  }
  retire_stream(false);
}

void YandexStt::set_interim_handler(std::function<void(std::string)> on_interim) {
  on_interim_ = std::move(on_interim);
  if (stream_) {
    std::lock_guard lock(stream_->mutex);
    stream_->on_interim = on_interim_;
  }
}

void YandexStt::set_end_of_utterance_handler(std::function<void()> on_end_of_utterance) {
  on_end_of_utterance_ = std::move(on_end_of_utterance);
  if (stream_) {
    std::lock_guard lock(stream_->mutex);
    stream_->on_end_of_utterance = on_end_of_utterance_;
  }
}

}  // namespace parley::providers
