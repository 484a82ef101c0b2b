// Yandex SpeechKit v3 streaming speech to text: speechkit.stt.v3.Recognizer/RecognizeStreaming
// over gRPC with TLS, "authorization: Api-Key <key>" (or "Bearer <IAM token>") and
// "x-folder-id" metadata. One stream per call, opened at the first utterance with
// session_options: LINEAR16_PCM at the call's rate (8–48 kHz; other rates resampled to 16 kHz),
// mono, the language whitelisted, REAL_TIME, the default EOU classifier.
//
// Utterances: frames are sent as chunk messages while the caller speaks. finish() sends a
// silence_chunk, which lets Yandex's EOU classifier end the utterance: it answers with final
// messages and then eou_update, and the finals received since the utterance began are its
// text. A final sent mid-turn (Yandex heard a pause that parley's endpointing did not) is kept,
// not lost; when Yandex's EOU came before finish() and no speech since, finish() answers at once. When finalize_timeout passes first, the finals so far (or the last partial) are
// the text, and with none the result is a timeout; the stream is then replaced, so late
// results of that utterance cannot leak into the next one.
//
// With yandex_endpointing, an eou_update inside an utterance goes to the end-of-utterance
// handler (the pipeline ends the turn if its VAD agrees the caller is quiet), and the finish()
// that follows answers at once with the finals heard.
//
// Pauses: between utterances no audio flows, so every silence_interval a silence_chunk stands
// for the silence since the last message: Yandex ends a session after 5 s without a message.
//
// Long calls: a session carries at most 5 min of audio (silence included) or 10 MB. Once the
// stream holds max_stream_audio or max_stream_bytes, it is replaced at the next pause between
// utterances (never inside one), so no word is cut at the seam: the old stream is closed with
// WritesDone and the next utterance opens a new one.
//
// Errors end the utterance's finish() with a typed Error (UNAUTHENTICATED names the key as
// wrong, RESOURCE_EXHAUSTED is the quota, UNAVAILABLE, DEADLINE_EXCEEDED), a log line and
// parley_stt_yandex_errors_total{code}; the next utterance opens a new stream.
//
// Threading: methods on the caller's thread; each stream has a writer and a reader thread (the
// gRPC synchronous API); callbacks come from them.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/log.h"
#include "media/resampler.h"
#include "providers/speech/speech_interfaces.h"

namespace grpc {
class Channel;
}

namespace parley::providers {

struct YandexSttOptions {
  std::string endpoint = "stt.api.cloud.yandex.net:443";  // host:port
  std::string api_key;    // service-account API key: "Api-Key" auth (secret)
  std::string iam_token;  // or an IAM token: "Bearer" auth (secret); the key wins when both are set
  std::string folder_id;  // x-folder-id; empty for a service account's own folder
  std::string model = "general";
  std::string language = "ru-RU";
  std::chrono::milliseconds finalize_timeout{4'000};
  std::chrono::milliseconds finish_silence{1'000};   // the silence_chunk sent at finish()
  std::chrono::milliseconds silence_interval{1'000};  // keep-alive cadence, well inside the 5 s idle cut
  std::chrono::milliseconds max_stream_audio{240'000};  // Yandex's limit: 300 s
  size_t max_stream_bytes = 8u << 20;                  // Yandex's limit: 10 MB
  std::string ca_file;  // trusted roots (PEM); empty = the system store
  // Yandex's EOU classifier also ends the caller's turn: its eou_update is passed on to the
  // end-of-utterance handler, and the finish() that follows answers at once with the finals.
  // Off: parley's own endpointing (VAD pause) alone decides.
  bool yandex_endpointing = false;
};

class YandexStt final : public SpeechRecognizer {
 public:
  explicit YandexStt(YandexSttOptions options, log::Logger logger = log::root());
  ~YandexStt() override;
  std::string_view name() const override { return "yandex"; }
  void push_frame(const media::AudioFrame& frame) override;
  void finish(std::function<void(Result<std::string>)> done) override;
  void cancel() override;
  void set_interim_handler(std::function<void(std::string)> on_interim) override;
  void set_end_of_utterance_handler(std::function<void()> on_end_of_utterance) override;

  struct Stream;  // one RecognizeStreaming call and its two threads

 private:
  void retire_stream(bool graceful);
  Status open_stream(int rate, const char* reason);

  YandexSttOptions options_;
  log::Logger logger_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<Stream> stream_;
  std::vector<std::shared_ptr<Stream>> retired_;  // closing; joined as they end and at destruction
  std::unique_ptr<media::Resampler> resampler_;
  int input_rate_ = 0;
  int stream_rate_ = 0;
  std::function<void(std::string)> on_interim_;
  std::function<void()> on_end_of_utterance_;
};

}  // namespace parley::providers
