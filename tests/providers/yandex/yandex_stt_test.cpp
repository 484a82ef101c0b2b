// YandexStt against tests/providers/yandex_stand_in.py (Yandex's documented gRPC wire format,
// TLS) on loopback: the session options, real speech (flite) at the call's rate, silence_chunk
// keep-alives through a pause longer than the 5 s idle cut, the stream handed over at a pause
// before the session limit, and each error as its own typed failure.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/provider_set.h"
#include "core/asio_loop.h"
#include "core/metrics.h"
#include "media/resampler.h"
#include "providers/tts/flite_tts.h"
#include "providers/stt/yandex_stt.h"
#include "yandex_stand_in.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::kKey;
using testing::Outcome;
using testing::StandIn;

// flite speaking `text` at `rate`, with 300 ms of silence after it as a caller's turn ends.
media::AudioFrame speech(const std::string& text, int rate) {
  FliteTts flite;
  TtsRequest req;
  req.sample_rate = rate;
  auto a = flite.synthesize(text, req);
  EXPECT_TRUE(a) << a.error().to_string();
  media::AudioFrame out = *a;
  out.data.insert(out.data.end(), static_cast<size_t>(rate * 3 / 10), 0);
  out.samples_per_channel = static_cast<int>(out.data.size());
  return out;
}

// The frame in 20 ms pieces, as the room delivers a caller's audio.
void push(YandexStt& stt, const media::AudioFrame& audio) {
  const size_t step = static_cast<size_t>(audio.sample_rate / 50);
  for (size_t i = 0; i < audio.data.size(); i += step) {
    auto n = std::min(step, audio.data.size() - i);
    stt.push_frame(media::AudioFrame::from_samples(audio.sample_rate, 1, {audio.data.data() + i, n}));
  }
}

// One utterance: its audio, then finish() and its answer.
Result<std::string> utterance(YandexStt& stt, const media::AudioFrame& audio) {
  push(stt, audio);
  Outcome out;
  stt.finish(out.callback());
  return out.get();
}

// The speech's duration as the stand-in's energy gate measures it (samples above RMS 500 in 20 ms
// pieces), to compare with the text it answers.
int voiced_ms(const media::AudioFrame& audio) {
  const size_t step = static_cast<size_t>(audio.sample_rate / 50);
  int ms = 0;
  for (size_t i = 0; i < audio.data.size(); i += step) {
    auto n = std::min(step, audio.data.size() - i);
    if (media::rms({audio.data.data() + i, n}) > 500) ms += static_cast<int>(n * 1000 / audio.sample_rate);
  }
  return ms;
}

int spoken_ms(const std::string& text) {
  std::smatch m;
  std::regex re("речь (\\d+) мс");
  return std::regex_search(text, m, re) ? std::stoi(m[1]) : -1;
}

double metric(const std::string& name, const std::string& label) {
  std::string text = metrics::registry().render();
  std::smatch m;
  std::regex re(name + "\\{[^}]*\"" + label + "\"\\} ([0-9.e+]+)");
  return std::regex_search(text, m, re) ? std::stod(m[1]) : 0;
}

class YandexSttRates : public ::testing::TestWithParam<int> {};

TEST_P(YandexSttRates, SendsTheSessionOptionsAndTheSpeechAtTheCallsRateAndGetsTheFinal) {
  const int rate = GetParam();
  StandIn s;
  YandexStt stt(s.options());
  std::vector<std::string> interims;
  stt.set_interim_handler([&](std::string t) { interims.push_back(std::move(t)); });
  auto audio = speech("hello, I would like to book a table for two", rate);
  auto text = utterance(stt, audio);
  ASSERT_TRUE(text) << text.error().to_string();
  // The text is the stand-in's measure of the speech it received: right only at the right rate.
  EXPECT_NEAR(spoken_ms(*text), voiced_ms(audio), 60) << *text;

  auto sessions = s.events("session");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0]["encoding"], "LINEAR16_PCM");
  EXPECT_EQ(sessions[0]["rate"], rate);
  EXPECT_EQ(sessions[0]["channels"], 1);
  EXPECT_EQ(sessions[0]["languages"], json::array({"ru-RU"}));
  EXPECT_EQ(sessions[0]["classifier"], "default_classifier");
  EXPECT_EQ(sessions[0]["folder"], "b1g-test-folder");
  EXPECT_EQ(s.events("final").size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(TelephoneAndWideband, YandexSttRates, ::testing::Values(8000, 16000));

TEST(YandexStt, SilenceChunksKeepTheSessionThroughAPauseLongerThanTheIdleCut) {
  StandIn s;
  YandexStt stt(s.options());
  auto audio = speech("good morning", 8000);
  push(stt, audio);
  Outcome first;
  stt.finish(first.callback());
  ASSERT_TRUE(first.get());
  // 7 s of caller silence: more than the 5 s after which the service ends a quiet session.
  auto silence_ms = [&] {
    int64_t ms = 0;
    for (auto& e : s.events("silence_chunk")) ms += e["ms"].get<int64_t>();
    return ms;
  };
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s.wait_for([&] { return silence_ms() >= 7000; }, 20s)) << silence_ms();
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 5500ms);  // silence stood for real time, not ahead of it
  EXPECT_TRUE(s.events("idle_cut").empty());
  auto text = utterance(stt, audio);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_NEAR(spoken_ms(*text), voiced_ms(audio), 60) << *text;
  EXPECT_EQ(s.events("session").size(), 1u);  // the same session carried both utterances
}

TEST(YandexStt, ALongCallsStreamIsHandedOverAtAPauseBeforeTheLimit) {
  // The stand-in's session limit scaled down to 9 s (Yandex: 300 s); parley hands over at 4 s.
  StandIn s("", 9000);
  auto o = s.options();
  o.max_stream_audio = 4s;
  YandexStt stt(o);
  const double handovers_before = metric("parley_stt_yandex_streams_total", "handover");
  auto audio = speech("I need to change my booking for tomorrow evening", 8000);  // about 3 s
  std::vector<std::string> texts;
  for (int i = 0; i < 4; ++i) {
    auto text = utterance(stt, audio);
    ASSERT_TRUE(text) << i << ": " << text.error().to_string();
    texts.push_back(*text);
  }
  for (const auto& t : texts) EXPECT_NEAR(spoken_ms(t), voiced_ms(audio), 60) << t;
  EXPECT_GE(s.events("session").size(), 2u);
  EXPECT_TRUE(s.events("over_limit").empty());
  EXPECT_EQ(s.events("final").size(), 4u);  // no utterance lost or cut at a seam
  EXPECT_GE(metric("parley_stt_yandex_streams_total", "handover") - handovers_before, 1);
  // Each closed stream ended cleanly, under the limit.
  for (auto& e : s.events("end")) EXPECT_LE(e["audio_ms"].get<double>(), 9000) << e.dump();
}

// A caller quiet for long after the stream has passed max_stream_audio: the stream is closed
// during the pause itself (its silence_chunks count as audio too), and the next utterance goes
// on a new one.
TEST(YandexStt, AStreamPastTheMarkIsClosedDuringThePauseAndTheNextUtteranceGoesOnANewOne) {
  StandIn s("", 9000);
  auto o = s.options();
  o.max_stream_audio = 3s;
  YandexStt stt(o);
  const double handovers_before = metric("parley_stt_yandex_streams_total", "handover");
  auto audio = speech("hello there, I would like to ask about my order", 8000);
  auto first = utterance(stt, audio);
  ASSERT_TRUE(first) << first.error().to_string();
  // No audio from the test now: the writer closes the stream at the pause, under the limit.
  ASSERT_TRUE(s.wait_for([&] { return !s.events("end").empty(); }, 15s));
  EXPECT_LT(s.events("end")[0]["audio_ms"].get<double>(), 9000);
  auto second = utterance(stt, audio);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_NEAR(spoken_ms(*first), voiced_ms(audio), 60) << *first;
  EXPECT_NEAR(spoken_ms(*second), voiced_ms(audio), 60) << *second;
  EXPECT_EQ(s.events("session").size(), 2u);
  EXPECT_TRUE(s.events("over_limit").empty());
  EXPECT_TRUE(s.events("idle_cut").empty());
  EXPECT_EQ(metric("parley_stt_yandex_streams_total", "handover") - handovers_before, 1);
}

// Parley's endpointing, but Yandex's EOU came first (its pause threshold is shorter): finish()
// answers at once with the finals instead of waiting for another EOU.
TEST(YandexStt, AnEouBeforeFinishIsTheAnswerAtOnce) {
  StandIn s;
  YandexStt stt(s.options());
  auto audio = speech("what time do you open on sunday", 8000);
  push(stt, audio);
  push(stt, media::AudioFrame::silence(8000, 1, 600ms));  // the stand-in's EOU comes after 400 ms
  // Its EOU is sent: whether it reaches parley before finish() or just after, the answer is prompt.
  ASSERT_TRUE(s.wait_for([&] { return !s.events("final").empty(); }));
  Outcome out;
  auto t0 = std::chrono::steady_clock::now();
  stt.finish(out.callback());
  auto text = out.get();
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);  // not the 5 s finalize timeout
  EXPECT_NEAR(spoken_ms(*text), voiced_ms(audio), 60) << *text;
}

// With yandex_endpointing, Yandex's eou_update (after the caller's speech and 600 ms of quiet
// audio, before parley's finish) is passed on, and finish() then answers at once.
TEST(YandexStt, YandexsEndOfUtteranceIsPassedOnWhenConfigured) {
  StandIn s;
  auto o = s.options();
  o.yandex_endpointing = true;
  YandexStt stt(o);
  std::mutex mu;
  std::condition_variable cv;
  int eous = 0;
  stt.set_end_of_utterance_handler([&] {
    std::lock_guard l(mu);
    ++eous;
    cv.notify_all();
  });
  auto audio = speech("please call me back tomorrow", 8000);
  push(stt, audio);
  push(stt, media::AudioFrame::silence(8000, 1, 600ms));  // quiet audio, as the room sends it
  {
    std::unique_lock l(mu);
    ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return eous == 1; }));
  }
  Outcome out;
  auto t0 = std::chrono::steady_clock::now();
  stt.finish(out.callback());
  auto text = out.get(1s);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 100ms);  // no silence_chunk round trip
  EXPECT_NEAR(spoken_ms(*text), voiced_ms(audio), 60) << *text;
  EXPECT_TRUE(s.events("silence_chunk").empty());
}

TEST(YandexStt, AWrongKeyIsNamedAsAWrongKey) {
  StandIn s;
  auto o = s.options();
  o.api_key = "not-the-right-key-000000";
  YandexStt stt(o);
  auto r = utterance(stt, speech("hello", 8000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(r.error().message.find("API key or IAM token is wrong"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("YANDEX_API_KEY"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(o.api_key), std::string::npos);  // the key itself is never shown
}

TEST(YandexStt, QuotaExceededIsAResourceError) {
  StandIn s("RESOURCE_EXHAUSTED");
  YandexStt stt(s.options());
  const double before = metric("parley_stt_yandex_errors_total", "resource_exhausted");
  auto r = utterance(stt, speech("hello", 8000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kResourceExhausted) << r.error().to_string();
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(metric("parley_stt_yandex_errors_total", "resource_exhausted") - before, 1);
}

TEST(YandexStt, AServerThatHangsEndsTheUtteranceAtTheFinalizeTimeout) {
  StandIn s("HANG");
  auto o = s.options();
  o.finalize_timeout = 2s;
  YandexStt stt(o);
  push(stt, speech("hello", 8000));
  Outcome out;
  auto t0 = std::chrono::steady_clock::now();
  stt.finish(out.callback());
  auto r = out.get();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout) << r.error().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
}

// The connection is reset while the caller speaks: that utterance fails as unavailable (the
// pipeline asks the caller to repeat), and the next one goes on a new stream and is recognised.
TEST(YandexStt, AStreamDroppedMidUtteranceFailsItAndTheNextUtteranceGoesOnANewStream) {
  StandIn s("DROP");
  YandexStt stt(s.options());
  const double before = metric("parley_stt_yandex_errors_total", "unavailable");
  auto audio = speech("hello, I would like to book a table for two", 8000);
  auto r = utterance(stt, audio);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().to_string();
  EXPECT_TRUE(r.error().retryable);
  EXPECT_EQ(metric("parley_stt_yandex_errors_total", "unavailable") - before, 1);
  EXPECT_EQ(s.events("drop").size(), 1u);
  s.control({{"fail", ""}});
  auto again = utterance(stt, audio);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_NEAR(spoken_ms(*again), voiced_ms(audio), 60) << *again;
  EXPECT_EQ(s.events("session").size(), 2u);
}

TEST(YandexStt, NoServerIsUnavailable) {
  YandexSttOptions o;
  o.endpoint = "127.0.0.1:1";  // nothing listens on port 1 on loopback
  o.api_key = kKey;
  YandexStt stt(o);
  auto r = utterance(stt, speech("hello", 8000));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable) << r.error().to_string();
}

// The configuration's chains build it: providers.stt and .tts [yandex] with providers.yandex.{stt_endpoint,
// api_key, folder_id, stt_model, ca_file}, and the call's language "ru" asked for as ru-RU.
TEST(YandexStt, TheSttChainBuildsItFromTheConfiguration) {
  StandIn s;
  Config c;
  c.providers.stt = {"yandex"};
  c.providers.tts = {"yandex"};
  c.providers.yandex.stt_endpoint = s.options().endpoint;
  c.providers.yandex.api_key = kKey;
  c.providers.yandex.folder_id = "b1g-config-folder";
  c.providers.yandex.stt_model = "general:rc";
  c.providers.yandex.ca_file = s.options().ca_file;
  AsioLoop loop{"yandex-test"};
  auto set = agent::ProviderSet::create(c, loop.io_context());
  ASSERT_TRUE(set) << set.error().to_string();
  EXPECT_TRUE((*set)->skipped().empty());
  ASSERT_EQ((*set)->tts().size(), 1u);
  EXPECT_EQ((*set)->tts()[0]->name(), "yandex");
  auto r = (*set)->recognizer("ru");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name(), "yandex");
  auto* y = dynamic_cast<YandexStt*>(r.get());
  ASSERT_NE(y, nullptr);
  auto audio = speech("good afternoon", 16000);
  push(*y, audio);
  Outcome out;
  y->finish(out.callback());
  auto text = out.get();
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_NEAR(spoken_ms(*text), voiced_ms(audio), 60) << *text;
  auto sessions = s.events("session");
  ASSERT_EQ(sessions.size(), 1u);
  EXPECT_EQ(sessions[0]["languages"], json::array({"ru-RU"}));
  EXPECT_EQ(sessions[0]["model"], "general:rc");
  EXPECT_EQ(sessions[0]["folder"], "b1g-config-folder");
}

}  // namespace
}  // namespace parley::providers
