// Deepgram streaming speech to text: one WebSocket per call to {url}?encoding=linear16&
// sample_rate=16000&channels=1&model=…&language=…&interim_results=true&punctuate=true with
// "Authorization: Token <key>" (developers.deepgram.com/reference/speech-to-text/listen-streaming).
//
// Audio streams while the caller speaks: frames are resampled to 16 kHz mono and sent as binary
// linear16 messages at once (queued, bounded, while the connection opens). The is_final
// segments of Results messages make the utterance's text; interim ones go to the interim
// handler. finish() sends {"type":"Finalize"}, which makes Deepgram process what it holds and
// answer with a Results message marked from_finalize (docs/finalize); that delivers the text.
// Deepgram warns the answer may not come when it holds no audio, so when finalize_timeout
// passes with final segments already received they are the text; with none it is a timeout.
//
// The connection stays open between utterances: after keepalive_interval without audio,
// {"type":"KeepAlive"} text messages keep Deepgram's 10 s no-data timeout (NET-0001) away
// (docs/audio-keep-alive: every 3–5 s). cancel() and the destructor send {"type":"CloseStream"}
// (docs/close-stream) and close it; the next utterance opens a new one. A connection the
// server closed is reopened for the next utterance.
//
// Threading: methods on the caller's thread; network I/O and the finish callback on `io`'s.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/url.h"
#include "media/mono_resampler.h"
#include "providers/speech/speech_interfaces.h"

namespace parley::providers {

struct DeepgramSttOptions {
  Url url;  // ws:// or wss:// …/v1/listen (a query in it is kept)
  std::string api_key;
  std::string model = "nova-3";
  std::string language = "en";  // BCP-47
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds finalize_timeout{4'000};
  std::chrono::milliseconds keepalive_interval{4'000};
  std::chrono::seconds max_queued_audio{30};  // audio waiting for the connection to open
  std::string ca_file;                        // extra trusted CA (PEM), for tests
};

// The request target: url's path and query plus the streaming parameters.
std::string deepgram_listen_target(const DeepgramSttOptions& options);

class DeepgramStt final : public SpeechRecognizer {
 public:
  DeepgramStt(boost::asio::io_context& io, DeepgramSttOptions options);
  ~DeepgramStt() override;
  std::string_view name() const override { return "deepgram"; }
  void push_frame(const media::AudioFrame& frame) override;
  void finish(std::function<void(Result<std::string>)> done) override;
  void cancel() override;
  void set_interim_handler(std::function<void(std::string)> on_interim) override;

  struct Session;  // the connection's state, on io's thread

 private:
  boost::asio::io_context& io_;
  std::shared_ptr<Session> session_;
  media::MonoResampler resampler_;  // to the rate the stream is opened with
};

}  // namespace parley::providers
