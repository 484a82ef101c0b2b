// OpenAI-compatible STT and TTS against the local stand-in server (documented wire formats:
// multipart WAV upload → {"text"}; JSON → streamed 24 kHz s16le pcm), plus failures.
#include <condition_variable>
#include <mutex>
#include <regex>

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/asio_loop.h"
#include "livekit/api/http_client.h"
#include "providers/stt/openai_stt.h"
#include "providers/tts/openai_tts.h"
#include "support/stand_in_server.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;

template <class T>
struct Waiter {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<T> value;
  void set(T v) {
    std::lock_guard l(mu);
    value = std::move(v);
    cv.notify_all();
  }
  bool wait(std::chrono::milliseconds d = 10s) {
    std::unique_lock l(mu);
    return cv.wait_for(l, d, [this] { return value.has_value(); });
  }
};

struct Spoken {
  std::mutex mu;
  int chunks = 0;
  size_t samples = 0;
  int rate = 0;
  bool audio_before_done = false;
  Waiter<Status> done;
  SynthesisHandler handler() {
    SynthesisHandler h;
    h.on_audio = [this](media::AudioFrame f) {
      std::lock_guard l(mu);
      ++chunks;
      samples += f.samples().size();
      rate = f.sample_rate;
      audio_before_done = true;
    };
    h.on_done = [this](Status s) { done.set(std::move(s)); };
    return h;
  }
};

int closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class OpenAiSpeechTest : public ::testing::Test {
 protected:
  OpenAiTts tts(const std::string& model, std::string base = "") {
    OpenAiTtsOptions o;
    o.base_url = *parse_url(base.empty() ? server.base_url() : base);
    o.api_key = "sk-test-tts";
    o.model = model;
    o.voice = "nova";
    o.connect_timeout = 3s;
    o.idle_timeout = 3s;
    return OpenAiTts(loop.io_context(), o);
  }
  std::unique_ptr<OpenAiStt> stt(const std::string& model, std::string base = "") {
    OpenAiSttOptions o;
    o.base_url = *parse_url(base.empty() ? server.base_url() : base);
    o.api_key = "sk-test-stt";
    o.model = model;
    o.language = "en";
    o.connect_timeout = 3s;
    return std::make_unique<OpenAiStt>(loop.io_context(), o);
  }
  nlohmann::json last_request() {
    livekit::HttpClient c(*parse_url("http://127.0.0.1:" + std::to_string(server.port())), 3s);
    livekit::HttpRequest r;
    r.target = "/_last";
    return nlohmann::json::parse(c.request(r)->body);
  }
  // One second of a 48 kHz tone in 20 ms frames.
  void push_second(OpenAiStt& s) {
    for (int i = 0; i < 50; ++i) {
      auto f = media::AudioFrame::silence(48000, 1, 20ms);
      for (size_t k = 0; k < f.samples().size(); ++k) f.samples()[k] = static_cast<int16_t>((k % 48) * 300);
      s.push_frame(f);
    }
  }

  testing::StandInServer server;
  AsioLoop loop{"speech-test"};
};

TEST_F(OpenAiSpeechTest, TtsStreamsPcmResampledToTheCallRate) {
  auto t = tts("tts-1");
  Spoken out;
  std::string text = "Hello there.";  // 12 characters: 0.72 s of audio at the stand-in's pace
  auto job = t.synthesize(text, "en", 48000, out.handler());
  ASSERT_TRUE(out.done.wait());
  ASSERT_TRUE(*out.done.value) << out.done.value->error().to_string();
  std::lock_guard l(out.mu);
  EXPECT_EQ(out.rate, 48000);
  EXPECT_GT(out.chunks, 3);  // streamed, not one blob
  EXPECT_NEAR(static_cast<double>(out.samples), 0.72 * 48000, 0.01 * 48000);
  auto req = last_request();
  EXPECT_EQ(req["path"], "/v1/audio/speech");
  EXPECT_EQ(req["json"]["response_format"], "pcm");
  EXPECT_EQ(req["json"]["voice"], "nova");
  EXPECT_EQ(req["json"]["input"], text);
  EXPECT_EQ(req["headers"]["authorization"], "Bearer sk-test-tts");
}

TEST_F(OpenAiSpeechTest, TtsSamplesSplitAcrossReadsAreKeptWhole) {
  auto t = tts("odd");
  Spoken out;
  auto job = t.synthesize("Hello there.", "en", 24000, out.handler());
  ASSERT_TRUE(out.done.wait());
  ASSERT_TRUE(*out.done.value);
  std::lock_guard l(out.mu);
  EXPECT_EQ(out.samples, static_cast<size_t>(24000 * 0.06 * 12));  // 24 kHz passes through exactly
}

TEST_F(OpenAiSpeechTest, TtsFailuresAreClear) {
  {
    auto t = tts("error500");
    Spoken out;
    auto job = t.synthesize("Hi.", "en", 48000, out.handler());
    ASSERT_TRUE(out.done.wait());
    ASSERT_FALSE(*out.done.value);
    EXPECT_EQ(out.done.value->error().code, ErrorCode::kUnavailable);
    EXPECT_NE(out.done.value->error().message.find("tts down"), std::string::npos);
  }
  {
    auto t = tts("truncated");
    Spoken out;
    auto job = t.synthesize("A long sentence that is cut short.", "en", 48000, out.handler());
    ASSERT_TRUE(out.done.wait());
    ASSERT_FALSE(*out.done.value);
    EXPECT_EQ(out.done.value->error().code, ErrorCode::kProtocol);
    EXPECT_TRUE(out.audio_before_done);  // what came is played; the pipeline moves on
  }
  {
    auto t = tts("tts-1", "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1");
    Spoken out;
    auto job = t.synthesize("Hi.", "en", 48000, out.handler());
    ASSERT_TRUE(out.done.wait());
    ASSERT_FALSE(*out.done.value);
    EXPECT_EQ(out.done.value->error().code, ErrorCode::kUnavailable);
    EXPECT_TRUE(out.done.value->error().retryable);
  }
}

TEST_F(OpenAiSpeechTest, SttUploadsA16kHzWavOfTheUtteranceAndReturnsTheText) {
  auto s = stt("whisper-1");
  push_second(*s);
  Waiter<Result<std::string>> got;
  s->finish([&](Result<std::string> r) { got.set(std::move(r)); });
  ASSERT_TRUE(got.wait());
  ASSERT_TRUE(*got.value) << got.value->error().to_string();
  std::smatch m;
  std::string text = **got.value;
  ASSERT_TRUE(std::regex_match(text, m, std::regex("heard (\\d+) samples at 16000 Hz, 1 channel, 16 bit"))) << text;
  EXPECT_NEAR(std::stoi(m[1]), 16000, 50);
  auto req = last_request();
  EXPECT_EQ(req["path"], "/v1/audio/transcriptions");
  EXPECT_EQ(req["form"]["model"], "whisper-1");
  EXPECT_EQ(req["form"]["language"], "en");
  EXPECT_EQ(req["form"]["response_format"], "json");
  EXPECT_EQ(req["filename"], "audio.wav");
  EXPECT_EQ(req["headers"]["authorization"], "Bearer sk-test-stt");
  // The next utterance starts empty.
  Waiter<Result<std::string>> empty;
  s->finish([&](Result<std::string> r) { empty.set(std::move(r)); });
  ASSERT_TRUE(empty.wait());
  EXPECT_EQ(**empty.value, "");
}

TEST_F(OpenAiSpeechTest, SttFailuresAreClear) {
  for (auto [model, code] : {std::pair{"error500", ErrorCode::kUnavailable}, std::pair{"malformed", ErrorCode::kProtocol}}) {
    auto s = stt(model);
    push_second(*s);
    Waiter<Result<std::string>> got;
    s->finish([&](Result<std::string> r) { got.set(std::move(r)); });
    ASSERT_TRUE(got.wait());
    ASSERT_FALSE(*got.value) << model;
    EXPECT_EQ(got.value->error().code, code) << got.value->error().to_string();
  }
  auto s = stt("whisper-1", "http://127.0.0.1:" + std::to_string(closed_port()) + "/v1");
  push_second(*s);
  Waiter<Result<std::string>> got;
  s->finish([&](Result<std::string> r) { got.set(std::move(r)); });
  ASSERT_TRUE(got.wait());
  ASSERT_FALSE(*got.value);
  EXPECT_EQ(got.value->error().code, ErrorCode::kUnavailable);
}

TEST_F(OpenAiSpeechTest, SttCancelDropsThePendingResult) {
  auto s = stt("whisper-1");
  push_second(*s);
  Waiter<Result<std::string>> got;
  s->finish([&](Result<std::string> r) { got.set(std::move(r)); });
  s->cancel();
  EXPECT_FALSE(got.wait(1500ms));
}

}  // namespace
}  // namespace parley::providers
