// OpenAI-compatible text to speech (POST {base_url}/audio/speech with {"model", "input", "voice",
// "response_format": "pcm"}): the answer is raw 24 kHz signed 16-bit little-endian mono,
// streamed; each piece is resampled to the requested rate and handed over as it arrives, so
// the first words play before the sentence is fully synthesised. Shared by all calls; network
// I/O on `io`, callbacks on that thread.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/io_context.hpp>

#include "core/url.h"
#include "providers/speech/speech_interfaces.h"

namespace parley::providers {

struct OpenAiTtsOptions {
  Url base_url;
  std::string ca_file;  // extra trusted CAs for https (providers.ca_file)
  std::string api_key;
  std::string model = "tts-1";
  std::string voice = "alloy";
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
};

class OpenAiTts final : public SpeechSynthesizer {
 public:
  OpenAiTts(boost::asio::io_context& io, OpenAiTtsOptions options) : io_(io), options_(std::move(options)) {}
  std::string_view name() const override { return "openai"; }
  std::unique_ptr<Synthesis> synthesize(std::string text, std::string language, int sample_rate,
                                        SynthesisHandler handler) override;

  static constexpr int kPcmRate = 24000;  // the API's "pcm" format

 private:
  boost::asio::io_context& io_;
  OpenAiTtsOptions options_;
};

}  // namespace parley::providers
