// OpenAI-compatible speech to text (POST {base_url}/audio/transcriptions, multipart/form-data with
// the utterance as a 16 kHz mono WAV, model, language, response_format=json → {"text": ...}).
// Batch per utterance: frames are buffered (resampled to 16 kHz, at most max_utterance), and
// finish() uploads them. One per call (it holds that call's audio); the buffer is zeroed when
// freed. Network I/O on `io`; finish's callback comes on that thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/url.h"
#include "media/mono_resampler.h"
#include "providers/speech/speech_interfaces.h"

namespace parley::providers {

struct OpenAiSttOptions {
  Url base_url;
  std::string ca_file;  // extra trusted CAs for https (providers.ca_file)
  std::string api_key;
  std::string model = "whisper-1";
  std::string language = "en";  // ISO-639-1 hint; "" = let the service detect it
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::seconds max_utterance{60};
};

class OpenAiStt final : public SpeechRecognizer {
 public:
  OpenAiStt(boost::asio::io_context& io, OpenAiSttOptions options);
  ~OpenAiStt() override;
  std::string_view name() const override { return "openai"; }
  void push_frame(const media::AudioFrame& frame) override;
  void finish(std::function<void(Result<std::string>)> done) override;
  void cancel() override;

 private:
  struct Request;
  boost::asio::io_context& io_;
  OpenAiSttOptions options_;
  media::MonoResampler resampler_;  // to 16 kHz mono
  media::SecureVector<int16_t> audio_;  // 16 kHz mono
  bool truncated_ = false;
  std::vector<std::shared_ptr<Request>> requests_;
};

// multipart/form-data (RFC 7578) body of text fields and one file.
struct MultipartPart {
  std::string name;
  std::string filename;      // "" for a text field
  std::string content_type;  // for the file
  std::string_view data;
};
std::string multipart_body(const std::string& boundary, const std::vector<MultipartPart>& parts);

}  // namespace parley::providers
