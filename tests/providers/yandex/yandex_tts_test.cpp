// YandexTts against tests/providers/yandex_stand_in.py (Yandex's documented gRPC wire format,
// TLS): voice, role and speed from the options reach the service, the audio comes back as
// LINEAR16 at the rate asked for (8 kHz for a phone line), real speech in chunks; long text goes
// with unsafe_mode; a wrong key, quota and a hung server end in their own errors; cancel() stops
// the callbacks.
#include <gtest/gtest.h>

#include "core/metrics.h"
#include "media/audio_frame.h"
#include "providers/tts/yandex_tts.h"
#include "yandex_stand_in.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;
using testing::kKey;
using testing::StandIn;

YandexTtsOptions tts_options(const StandIn& s) {
  auto stt = s.options();
  YandexTtsOptions o;
  o.endpoint = stt.endpoint;
  o.api_key = kKey;
  o.folder_id = stt.folder_id;
  o.ca_file = stt.ca_file;
  o.voice = "alena";
  o.role = "good";
  o.speed = 1.2;
  o.timeout = 5s;
  return o;
}

struct Heard {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<media::AudioFrame> chunks;
  std::optional<Status> done;
  SynthesisHandler handler() {
    return {[this](media::AudioFrame f) {
              std::lock_guard l(mu);
              chunks.push_back(std::move(f));
            },
            [this](Status s) {
              std::lock_guard l(mu);
              done = std::move(s);
              cv.notify_all();
            }};
  }
  Status wait(std::chrono::milliseconds d = 20s) {
    std::unique_lock l(mu);
    if (!cv.wait_for(l, d, [this] { return done.has_value(); })) return make_error(ErrorCode::kInternal, "no on_done");
    return *done;
  }
  size_t samples() {
    std::lock_guard l(mu);
    size_t n = 0;
    for (auto& c : chunks) n += c.data.size();
    return n;
  }
};

TEST(YandexTts, SpeaksWithTheConfiguredVoiceAsLinear16AtTheTelephoneRate) {
  StandIn s;
  YandexTts tts(tts_options(s));
  Heard h;
  const std::string text = "Добрый день! Чем могу помочь?";
  auto job = tts.synthesize(text, "ru", 8000, h.handler());
  auto st = h.wait();
  ASSERT_TRUE(st) << st.error().to_string();
  auto events = s.events("tts");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["text"], text);
  EXPECT_EQ(events[0]["voice"], "alena");
  EXPECT_EQ(events[0]["role"], "good");
  EXPECT_DOUBLE_EQ(events[0]["speed"].get<double>(), 1.2);
  EXPECT_EQ(events[0]["rate"], 8000);
  EXPECT_EQ(events[0]["encoding"], "LINEAR16_PCM");
  EXPECT_EQ(events[0]["folder"], "b1g-test-folder");
  EXPECT_FALSE(events[0]["unsafe_mode"].get<bool>());
  // Every sample the service sent, at 8 kHz, in its 100 ms chunks; and it is speech, not silence.
  EXPECT_EQ(h.samples() * 2, events[0]["bytes"].get<size_t>());
  EXPECT_GT(h.chunks.size(), 5u);
  std::vector<int16_t> all;
  for (auto& c : h.chunks) {
    EXPECT_EQ(c.sample_rate, 8000);
    all.insert(all.end(), c.data.begin(), c.data.end());
  }
  EXPECT_GT(all.size(), 8000u);  // more than a second of audio for the sentence
  EXPECT_GT(media::level_dbov(all), -35.0);
}

TEST(YandexTts, TextOverTheLimitGoesWithUnsafeMode) {
  StandIn s;
  YandexTts tts(tts_options(s));
  std::string text;
  while (text.size() < 600) text += "Столик на двоих свободен в семь вечера. ";  // > 250 characters
  Heard h;
  auto job = tts.synthesize(text, "ru", 16000, h.handler());
  auto st = h.wait(60s);
  ASSERT_TRUE(st) << st.error().to_string();
  auto events = s.events("tts");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0]["unsafe_mode"].get<bool>());
  EXPECT_EQ(events[0]["rate"], 16000);
}

TEST(YandexTts, AWrongKeyIsNamedAndCounted) {
  StandIn s;
  auto o = tts_options(s);
  o.api_key = "wrong-key-wrong-key-0000";
  YandexTts tts(o);
  const std::string before = metrics::registry().render();
  Heard h;
  auto job = tts.synthesize("Привет", "ru", 8000, h.handler());
  auto st = h.wait();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnauthenticated);
  EXPECT_NE(st.error().message.find("yc.ai.speechkitTts.execute"), std::string::npos) << st.error().message;
  EXPECT_NE(metrics::registry().render().find("parley_tts_yandex_errors_total{code=\"unauthenticated\"}"), std::string::npos);
  EXPECT_EQ(h.samples(), 0u);
}

TEST(YandexTts, QuotaAndAHungServerEndInTheirOwnErrors) {
  {
    StandIn s("RESOURCE_EXHAUSTED");
    YandexTts tts(tts_options(s));
    Heard h;
    auto job = tts.synthesize("Привет", "ru", 8000, h.handler());
    auto st = h.wait();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);
  }
  {
    StandIn s("HANG");
    auto o = tts_options(s);
    o.timeout = 1500ms;
    YandexTts tts(o);
    Heard h;
    auto t0 = std::chrono::steady_clock::now();
    auto job = tts.synthesize("Привет", "ru", 8000, h.handler());
    auto st = h.wait();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, ErrorCode::kTimeout) << st.error().to_string();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  }
}

TEST(YandexTts, CancelStopsTheCallbacks) {
  StandIn s("HANG");
  YandexTts tts(tts_options(s));
  Heard h;
  auto job = tts.synthesize("Привет", "ru", 8000, h.handler());
  ASSERT_TRUE(s.wait_for([&] { return !s.events("hang").empty(); }));
  job->cancel();
  job.reset();  // joins the reader: returns promptly after cancel
  EXPECT_FALSE(h.done.has_value());
}

}  // namespace
}  // namespace parley::providers
