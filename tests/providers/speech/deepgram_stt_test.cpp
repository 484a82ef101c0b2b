// DeepgramStt against tests/providers/deepgram_stand_in.py (aiohttp, Deepgram's documented
// streaming wire format) on loopback: interim and final results, Finalize, the audio that
// arrives (count and rate measured by the stand-in), KeepAlive, CloseStream, and failures.
#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <regex>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/provider_set.h"
#include "core/asio_loop.h"
#include "livekit/api/http_client.h"
#include "providers/stt/deepgram_stt.h"
#include "support/stand_in_server.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<std::string>> value;
  std::chrono::steady_clock::time_point at;
  std::function<void(Result<std::string>)> callback() {
    return [this](Result<std::string> r) {
      std::lock_guard l(mu);
      value = std::move(r);
      at = std::chrono::steady_clock::now();
      cv.notify_all();
    };
  }
  Result<std::string> get(std::chrono::milliseconds d = 10s) {
    std::unique_lock l(mu);
    if (!cv.wait_for(l, d, [this] { return value.has_value(); })) {
      return make_error(ErrorCode::kInternal, "the test waited in vain for finish()'s callback");
    }
    return *value;
  }
};

int closed_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class DeepgramSttTest : public ::testing::Test {
 protected:
  DeepgramSttOptions options(const std::string& scenario) {
    DeepgramSttOptions o;
    o.url = *parse_url("ws://127.0.0.1:" + std::to_string(server.port()) + "/v1/listen");
    o.api_key = "dg-test-key";
    o.model = scenario;
    o.language = "en";
    o.connect_timeout = 3s;
    o.finalize_timeout = 3s;
    return o;
  }
  std::unique_ptr<DeepgramStt> stt(DeepgramSttOptions o) { return std::make_unique<DeepgramStt>(loop.io_context(), o); }
  std::unique_ptr<DeepgramStt> stt(const std::string& scenario) { return stt(options(scenario)); }

  nlohmann::json last() {
    livekit::HttpClient c(*parse_url("http://127.0.0.1:" + std::to_string(server.port())), 3s);
    livekit::HttpRequest r;
    r.target = "/_last";
    return nlohmann::json::parse(c.request(r)->body);
  }
  // Polls the stand-in until what it received satisfies `done`, instead of sleeping a guess: the
  // stream's traffic takes longer to arrive when the machine is loaded.
  nlohmann::json wait_for_last(const std::function<bool(const nlohmann::json&)>& done, std::chrono::milliseconds d = 10s) {
    auto deadline = std::chrono::steady_clock::now() + d;
    for (;;) {
      auto j = last();
      if ((!j.empty() && done(j)) || std::chrono::steady_clock::now() > deadline) return j;
      std::this_thread::sleep_for(20ms);
    }
  }
  // `seconds` of a 440 Hz tone at 48 kHz in 20 ms frames, as the room delivers caller audio;
  // paced: one frame per 20 ms, as a caller speaks (else as fast as they can be pushed).
  void speak(DeepgramStt& s, double seconds, bool paced = false) {
    int frames = static_cast<int>(std::lround(seconds / 0.02));
    for (int i = 0; i < frames; ++i) {
      auto f = media::AudioFrame::silence(48000, 1, 20ms);
      for (size_t k = 0; k < f.samples().size(); ++k) {
        double t = static_cast<double>(phase_++) / 48000.0;
        f.samples()[k] = static_cast<int16_t>(8000 * std::sin(2 * M_PI * 440 * t));
      }
      s.push_frame(f);
      if (paced) std::this_thread::sleep_for(20ms);
    }
  }
  Result<std::string> utterance(DeepgramStt& s, double seconds) {
    speak(s, seconds);
    Outcome out;
    s.finish(out.callback());
    return out.get();
  }
  // The stand-in's measure of the utterance: "samples <n> hz <f>".
  static void expect_measure(const std::string& text, double seconds) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(text, m, std::regex("samples (\\d+) hz (\\d+)"))) << text;
    EXPECT_NEAR(std::stod(m[1]), seconds * 16000, 40) << text;  // 16 kHz, whole (the filter's tail flushed)
    EXPECT_NEAR(std::stod(m[2]), 440, 5) << text;                // the caller's tone, at the right rate
  }

  testing::StandInServer server{"deepgram_stand_in.py", PARLEY_VENV_PYTHON};
  AsioLoop loop{"deepgram-test"};
  size_t phase_ = 0;
};

TEST_F(DeepgramSttTest, FinalSegmentsAndTheFinalizeAnswerMakeTheUtterance) {
  auto s = stt("ok");
  std::mutex mu;
  std::vector<std::string> interims;
  s->set_interim_handler([&](std::string t) {
    std::lock_guard l(mu);
    interims.push_back(std::move(t));
  });
  speak(*s, 1.2, true);
  Outcome out;
  s->finish(out.callback());
  auto r = out.get();
  ASSERT_TRUE(r) << r.error().to_string();
  // Two 0.5 s final segments, then Finalize's answer measuring the whole 1.2 s.
  EXPECT_TRUE(std::regex_match(*r, std::regex("chunk1 chunk2 samples \\d+ hz \\d+"))) << *r;
  expect_measure(*r, 1.2);
  {
    std::lock_guard l(mu);
    // Interim hypotheses come after the finals so far; the interim words are never in the text.
    EXPECT_NE(std::find(interims.begin(), interims.end(), "chunk1 partial"), interims.end());
    EXPECT_NE(std::find(interims.begin(), interims.end(), "chunk1 chunk2"), interims.end());
  }
  auto req = last();
  EXPECT_EQ(req["authorization"], "Token dg-test-key");
  EXPECT_EQ(req["query"]["encoding"], "linear16");
  EXPECT_EQ(req["query"]["sample_rate"], "16000");
  EXPECT_EQ(req["query"]["channels"], "1");
  EXPECT_EQ(req["query"]["model"], "ok");
  EXPECT_EQ(req["query"]["language"], "en");
  EXPECT_EQ(req["query"]["interim_results"], "true");
  EXPECT_EQ(req["query"]["punctuate"], "true");
  EXPECT_EQ(req["finalize"], 1);
  EXPECT_EQ(req["empty_frames"], 0);
  EXPECT_GT(req["binary_frames"].get<int>(), 30);  // streamed as it came, not one blob
}

TEST_F(DeepgramSttTest, TheConnectionServesTheNextUtterance) {
  auto s = stt("ok");
  auto first = utterance(*s, 0.6);
  ASSERT_TRUE(first) << first.error().to_string();
  expect_measure(*first, 0.6);
  auto second = utterance(*s, 0.3);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_TRUE(std::regex_match(*second, std::regex("samples \\d+ hz \\d+"))) << *second;  // no chunk of the first
  expect_measure(*second, 0.3);
  auto req = last();  // the stand-in starts a new record per connection
  EXPECT_EQ(req["finalize"], 2);
  EXPECT_NEAR(req["audio_bytes"].get<double>(), 0.9 * 32000, 160);
}

TEST_F(DeepgramSttTest, AnUtteranceWithoutAudioIsEmptyAndOpensNothing) {
  auto s = stt("ok");
  Outcome out;
  s->finish(out.callback());
  auto r = out.get(2s);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, "");
  EXPECT_TRUE(last().empty());
}

TEST_F(DeepgramSttTest, KeepAliveWhileIdle) {
  auto o = options("ok");
  o.keepalive_interval = 200ms;
  auto s = stt(o);
  ASSERT_TRUE(utterance(*s, 0.3));
  std::this_thread::sleep_for(1200ms);
  int kept = last()["keepalive"].get<int>();
  EXPECT_GE(kept, 3);
  EXPECT_LE(kept, 7);
  // Audio counts as traffic: none while speaking.
  ASSERT_TRUE(utterance(*s, 0.3));
  EXPECT_LE(last()["keepalive"].get<int>(), kept + 1);
}

TEST_F(DeepgramSttTest, CancelClosesTheStreamAndTheNextUtteranceReopens) {
  // Finalize is answered 1 s late, so the cancel surely comes while the answer is due (with "ok",
  // a loaded machine could deliver the answer before the cancel and the test would flake).
  auto s = stt("slowfinalize");
  speak(*s, 0.4);
  // The stream is open and has the audio (less the resampler's tail, which finish() flushes).
  wait_for_last([](const nlohmann::json& j) { return j["audio_bytes"].get<double>() >= 0.35 * 32000; });
  Outcome dropped;
  s->finish(dropped.callback());
  s->cancel();
  auto req = wait_for_last([](const nlohmann::json& j) { return j["closestream"].get<int>() >= 1; });
  EXPECT_EQ(req["closestream"], 1);
  auto r = utterance(*s, 0.3);
  ASSERT_TRUE(r) << r.error().to_string();
  expect_measure(*r, 0.3);
  EXPECT_EQ(last()["finalize"], 1);  // a new connection
  std::lock_guard l(dropped.mu);
  EXPECT_FALSE(dropped.value.has_value());  // a cancelled finish is never answered
}

TEST_F(DeepgramSttTest, DestructionSendsCloseStream) {
  {
    auto s = stt("ok");
    ASSERT_TRUE(utterance(*s, 0.3));
  }
  EXPECT_EQ(wait_for_last([](const nlohmann::json& j) { return j["closestream"].get<int>() >= 1; })["closestream"], 1);
}

TEST_F(DeepgramSttTest, AWrongKeyIsRefusedAtTheUpgrade) {
  auto o = options("ok");
  o.api_key = "not-the-key";
  auto s = stt(o);
  auto r = utterance(*s, 0.3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().message.find("HTTP 401"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Invalid credentials."), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("DEEPGRAM_API_KEY"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("not-the-key"), std::string::npos);  // the key is never echoed
  EXPECT_EQ(last()["authorization"], "Token not-the-key");
}

TEST_F(DeepgramSttTest, ARefusedConnectionSaysWhatToCheck) {
  auto o = options("ok");
  o.url = *parse_url("ws://127.0.0.1:" + std::to_string(closed_port()) + "/v1/listen");
  auto s = stt(o);
  auto r = utterance(*s, 0.2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find("providers.deepgram.url"), std::string::npos) << r.error().message;
}

TEST_F(DeepgramSttTest, TlsToAPlainServerFailsAsTls) {
  auto o = options("ok");
  o.url = *parse_url("wss://127.0.0.1:" + std::to_string(server.port()) + "/v1/listen");
  auto s = stt(o);
  auto r = utterance(*s, 0.2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
  EXPECT_NE(r.error().message.find("TLS"), std::string::npos) << r.error().message;
}

TEST_F(DeepgramSttTest, TheServerClosingMidUtteranceFailsIt) {
  auto s = stt("closemid");
  auto r = utterance(*s, 1.0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("1011"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("NET-0000"), std::string::npos) << r.error().message;
}

TEST_F(DeepgramSttTest, MalformedAndTruncatedResultsAreProtocolErrors) {
  {
    auto s = stt("malformed");
    auto r = utterance(*s, 0.3);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
    EXPECT_NE(r.error().message.find("alternatives"), std::string::npos) << r.error().message;
  }
  {
    auto s = stt("truncated");
    auto r = utterance(*s, 0.3);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
    EXPECT_NE(r.error().message.find("cut short"), std::string::npos) << r.error().message;
  }
}

TEST_F(DeepgramSttTest, AnErrorMessageFailsTheUtterance) {
  auto s = stt("error");
  auto r = utterance(*s, 0.3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("Failed to process audio"), std::string::npos) << r.error().message;
}

TEST_F(DeepgramSttTest, NoFinalResultTimesOut) {
  auto o = options("silent");
  o.finalize_timeout = 600ms;
  auto s = stt(o);
  speak(*s, 0.3);
  Outcome out;
  auto asked = std::chrono::steady_clock::now();
  s->finish(out.callback());
  auto r = out.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_NE(r.error().message.find("no final result within 600 ms"), std::string::npos) << r.error().message;
  auto waited = out.at - asked;
  EXPECT_GE(waited, 550ms);
  EXPECT_LT(waited, 2s);
}

TEST_F(DeepgramSttTest, AnUnansweredFinalizeKeepsTheFinalSegments) {
  auto o = options("nofinalize");
  o.finalize_timeout = 600ms;
  auto s = stt(o);
  auto r = utterance(*s, 1.1);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, "chunk1 chunk2");
}

// The configuration's chain builds it: providers.stt [deepgram] with providers.deepgram.{url,
// api_key, model} and the call's language.
TEST_F(DeepgramSttTest, TheSttChainBuildsItFromTheConfiguration) {
  Config c;
  c.providers.stt = {"deepgram"};
  c.providers.tts = {};
  c.providers.deepgram.url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/v1/listen";
  c.providers.deepgram.api_key = "dg-test-key";
  c.providers.deepgram.model = "ok";
  auto set = agent::ProviderSet::create(c, loop.io_context());
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_TRUE((*set)->skipped().empty());
  auto r = (*set)->recognizer("ru");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name(), "deepgram");
  auto* dg = dynamic_cast<DeepgramStt*>(r.get());
  ASSERT_NE(dg, nullptr);
  auto text = utterance(*dg, 0.5);
  ASSERT_TRUE(text) << text.error().to_string();
  expect_measure(*text, 0.5);
  auto req = last();
  EXPECT_EQ(req["query"]["language"], "ru");
  EXPECT_EQ(req["query"]["model"], "ok");

  c.providers.deepgram.url = "https://api.deepgram.com/v1/listen";
  auto bad = agent::ProviderSet::create(c, loop.io_context());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("providers.deepgram.url"), std::string::npos);
}

}  // namespace
}  // namespace parley::providers
