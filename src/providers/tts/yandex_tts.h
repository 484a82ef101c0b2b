// Yandex SpeechKit v3 text to speech: speechkit.tts.v3.Synthesizer/UtteranceSynthesis over gRPC
// with TLS and the same auth as the STT (Api-Key or Bearer, x-folder-id). One request per
// sentence: text, hints (voice, role, speed), output LINEAR16_PCM at the rate parley asks for
// (8 kHz for a phone line: no resampling), and the response stream's audio_chunk messages are
// passed on as they come.
//
// Why UtteranceSynthesis and not StreamSynthesis: parley already splits the LLM's reply into
// sentences and asks for each on its own (SpeechSynthesizer: one sentence, its own cancel and
// failure, the fallback chain per sentence). A unary request maps onto that one to one; one
// bidirectional stream per call would have to map audio back to sentences, and a barge-in would
// cancel every sentence queued in it. A sentence over Yandex's 250-character limit is sent with
// unsafe_mode, which Yandex documents as raising the limit to 5,000.
//
// Errors end with on_done(Error) (UNAUTHENTICATED named as a wrong key, RESOURCE_EXHAUSTED,
// UNAVAILABLE, DEADLINE_EXCEEDED after `timeout`), a log line and
// parley_tts_yandex_errors_total{code}; the pipeline's TTS chain takes the next engine.
//
// Logging: one YandexTts (and its gRPC channel) serves every call; for_call() gives a call its
// own view of it, on the same channel, whose lines carry that call's call_id and room.
//
// Threading: synthesize() on the caller's thread; each synthesis reads on a thread of its own
// and calls the handler from it. cancel() and the Synthesis's destructor stop it (no callback
// after cancel() returns).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/log.h"
#include "providers/speech/speech_interfaces.h"

namespace grpc {
class Channel;
}

namespace parley::providers {

struct YandexTtsOptions {
  std::string endpoint = "tts.api.cloud.yandex.net:443";
  std::string api_key;    // secret
  std::string iam_token;  // secret
  std::string folder_id;
  std::string voice = "marina";  // Russian voices: alena, filipp, ermil, jane, marina, dasha, ...
  std::string role;              // neutral, good, friendly, strict, ...; empty = the voice's default
  double speed = 1.0;
  std::chrono::milliseconds timeout{10'000};  // the whole sentence's audio
  std::string ca_file;                        // trusted roots (PEM); empty = the system store
};

class YandexTts final : public SpeechSynthesizer {
 public:
  explicit YandexTts(YandexTtsOptions options, log::Logger logger = log::root());
  ~YandexTts() override;
  std::string_view name() const override { return "yandex"; }
  // The same engine and channel, logging with `logger` (a call's).
  std::shared_ptr<YandexTts> for_call(log::Logger logger) const;
  std::unique_ptr<Synthesis> synthesize(std::string text, std::string language, int sample_rate,
                                        SynthesisHandler handler) override;

  static constexpr size_t kMaxPlainChars = 250;  // above it, unsafe_mode

 private:
  YandexTts(YandexTtsOptions options, log::Logger logger, std::shared_ptr<grpc::Channel> channel);
  YandexTtsOptions options_;
  log::Logger logger_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace parley::providers
