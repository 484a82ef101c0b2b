#include "providers/tts/yandex_tts.h"

#include <algorithm>
#include <optional>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "core/metrics.h"
#include "providers/yandex/yandex_grpc.h"
#include "providers/yandex_proto/yandex_tts.grpc.pb.h"

namespace parley::providers {

namespace tts = speechkit::tts::v3;

namespace {

metrics::CounterFamily& errors_counter() {
  static auto& f = metrics::registry().counter("parley_tts_yandex_errors_total",
                                               "Yandex SpeechKit syntheses ended by an error", {"code"});
  return f;
}

// Characters, not bytes: Yandex's limit counts characters (Cyrillic is 2 bytes each in UTF-8).
size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Job final : public Synthesis {
 public:
  Job(std::shared_ptr<grpc::Channel> channel, tts::UtteranceSynthesisRequest request, const YandexTtsOptions& options,
      int rate, SynthesisHandler handler, log::Logger logger)
      : handler_(std::move(handler)) {
    if (auto a = add_yandex_auth(context_, {options.api_key, options.iam_token, options.folder_id}, "tts"); !a) {
      error_ = a.error();
    }
    context_.set_deadline(std::chrono::system_clock::now() + options.timeout);
    thread_ = std::thread([this, channel = std::move(channel), request = std::move(request), rate, logger] {
      run(channel, request, rate, logger);
    });
  }
  ~Job() override {
    cancel();
    thread_.join();
  }
  void cancel() override {
    std::lock_guard lock(mutex_);  // waits out a callback in progress: none after this returns
    cancelled_ = true;
    context_.TryCancel();
  }

 private:
  void run(const std::shared_ptr<grpc::Channel>& channel, const tts::UtteranceSynthesisRequest& request, int rate,
           const log::Logger& logger) {
    if (error_) return finish(logger, tl::unexpected(*error_));
    auto stub = tts::Synthesizer::NewStub(channel);
    auto reader = stub->UtteranceSynthesis(&context_, request);
    tts::UtteranceSynthesisResponse response;
    while (reader->Read(&response)) {
      const auto& data = response.audio_chunk().data();
      if (data.size() < 2) continue;
      auto frame = media::AudioFrame::from_samples(
          rate, 1, {reinterpret_cast<const int16_t*>(data.data()), data.size() / sizeof(int16_t)});
      std::lock_guard lock(mutex_);
      if (cancelled_) break;
      if (handler_.on_audio) handler_.on_audio(std::move(frame));
    }
    grpc::Status status = reader->Finish();
    if (status.ok()) return finish(logger, Status{});
    Error e = yandex_error(status, "tts");
    if (e.code != ErrorCode::kCancelled) {
      errors_counter().with({std::string(to_string(e.code))}).inc();
      logger.warn("yandex tts: synthesis failed", {{"grpc_code", static_cast<int>(status.error_code())}, {"error", e.to_string()}});
    }
    finish(logger, tl::unexpected(e));
  }
  void finish(const log::Logger&, Status status) {
    std::lock_guard lock(mutex_);
    if (cancelled_ || !handler_.on_done) return;
    handler_.on_done(std::move(status));
  }

  SynthesisHandler handler_;
  grpc::ClientContext context_;
  std::optional<Error> error_;
  std::mutex mutex_;
  bool cancelled_ = false;
  std::thread thread_;
};

}  // namespace

YandexTts::YandexTts(YandexTtsOptions options, log::Logger logger)
    : options_(std::move(options)), logger_(std::move(logger)), channel_(yandex_channel(options_.endpoint, options_.ca_file)) {}

YandexTts::YandexTts(YandexTtsOptions options, log::Logger logger, std::shared_ptr<grpc::Channel> channel)
    : options_(std::move(options)), logger_(std::move(logger)), channel_(std::move(channel)) {}

YandexTts::~YandexTts() = default;

std::shared_ptr<YandexTts> YandexTts::for_call(log::Logger logger) const {
  return std::shared_ptr<YandexTts>(new YandexTts(options_, std::move(logger), channel_));
}

std::unique_ptr<Synthesis> YandexTts::synthesize(std::string text, std::string language, int sample_rate,
                                                 SynthesisHandler handler) {
  (void)language;  // the voice decides the language (Russian voices speak Russian)
  tts::UtteranceSynthesisRequest request;
  request.set_unsafe_mode(utf8_chars(text) > kMaxPlainChars);
  request.set_text(std::move(text));
  request.add_hints()->set_voice(options_.voice);
  if (!options_.role.empty()) request.add_hints()->set_role(options_.role);
  if (options_.speed != 1.0) request.add_hints()->set_speed(options_.speed);
  // Yandex synthesises LINEAR16 at 8–48 kHz: the rate asked for, or the nearest end.
  const int rate = std::clamp(sample_rate, 8000, 48000);
  auto* raw = request.mutable_output_audio_spec()->mutable_raw_audio();
  raw->set_audio_encoding(tts::RawAudio::LINEAR16_PCM);
  raw->set_sample_rate_hertz(rate);
  request.set_loudness_normalization_type(tts::UtteranceSynthesisRequest::LUFS);
  return std::make_unique<Job>(channel_, std::move(request), options_, rate, std::move(handler), logger_);
}

}  // namespace parley::providers
