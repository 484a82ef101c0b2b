#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "media/opus_decoder.h"
#include "media/opus_encoder.h"
#include "media/test_signal.h"
#include "providers/tts/espeak_tts.h"
#include "providers/tts/flite_tts.h"

namespace parley::providers {
namespace {

using std::chrono::milliseconds;

// Share of 20 ms frames louder than -40 dBov: speech has many, silence none.
double voiced_share(const media::AudioFrame& a) {
  const size_t n = static_cast<size_t>(a.sample_rate / 50);
  size_t loud = 0, frames = 0;
  for (size_t i = 0; i + n <= a.data.size(); i += n, ++frames) {
    if (media::level_dbov(std::span<const int16_t>(a.data).subspan(i, n)) > -40.0) ++loud;
  }
  return frames ? static_cast<double>(loud) / static_cast<double>(frames) : 0.0;
}

TEST(FliteTts, SpeaksEnglishAtTheRequestedRate) {
  FliteTts tts;
  EXPECT_TRUE(tts.supports_language("en"));
  EXPECT_FALSE(tts.supports_language("ru"));
  for (int rate : {8000, 16000, 48000}) {
    TtsRequest req;
    req.sample_rate = rate;
    auto audio = tts.synthesize("What are your opening hours?", req);
    ASSERT_TRUE(audio) << audio.error().to_string();
    EXPECT_EQ(audio->sample_rate, rate);
    EXPECT_EQ(audio->channels, 1);
    EXPECT_TRUE(audio->valid());
    // Five words: about 1–3 s.
    EXPECT_GT(audio->duration(), milliseconds(900)) << rate;
    EXPECT_LT(audio->duration(), milliseconds(3500)) << rate;
    EXPECT_GT(voiced_share(*audio), 0.4);
  }
  TtsRequest wide;
  wide.voice = "kal";  // the 8 kHz build
  wide.sample_rate = 16000;
  auto audio = tts.synthesize("What are your opening hours?", wide);
  ASSERT_TRUE(audio) << audio.error().to_string();
  EXPECT_GT(voiced_share(*audio), 0.4);
}

TEST(FliteTts, RejectsWhatItCannotSay) {
  FliteTts tts;
  TtsRequest req;
  EXPECT_FALSE(tts.synthesize("", req));
  EXPECT_FALSE(tts.synthesize("   \n", req));
  EXPECT_FALSE(tts.synthesize(std::string(5000, 'a'), req));
  req.language = "ru";
  auto r = tts.synthesize("hello", req);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("espeak-ng"), std::string::npos);
  EXPECT_FALSE(r.error().retryable);
  req = {};
  req.voice = "nosuch";
  EXPECT_FALSE(tts.synthesize("hello", req));
  req = {};
  req.sample_rate = 0;
  EXPECT_FALSE(tts.synthesize("hello", req));
  // Bytes flite cannot read are spoken around, not fatal.
  EXPECT_TRUE(tts.synthesize("hello \x01\xff\xfe world", TtsRequest{}));
}

TEST(EspeakTts, SpeaksRussian) {
  EspeakTts tts;
  EXPECT_TRUE(tts.supports_language("ru"));
  EXPECT_TRUE(tts.supports_language("en"));
  EXPECT_FALSE(tts.supports_language("xx-nosuch"));
  TtsRequest req;
  req.language = "ru";
  req.sample_rate = 48000;
  auto audio = tts.synthesize("Здравствуйте! Чем я могу вам помочь?", req);
  ASSERT_TRUE(audio) << audio.error().to_string();
  EXPECT_EQ(audio->sample_rate, 48000);
  // Ten syllables of Russian: about 1.5–4 s.
  EXPECT_GT(audio->duration(), milliseconds(1200));
  EXPECT_LT(audio->duration(), milliseconds(4500));
  EXPECT_GT(voiced_share(*audio), 0.4);
  EXPECT_GT(media::rms(audio->samples()), 500.0);

  // Longer text takes longer to say.
  auto longer = tts.synthesize("Здравствуйте! Чем я могу вам помочь? Мы работаем с девяти утра до шести вечера.", req);
  ASSERT_TRUE(longer);
  EXPECT_GT(longer->duration(), audio->duration() + milliseconds(1000));
}

TEST(EspeakTts, RejectsBadRequests) {
  EspeakTts tts;
  TtsRequest req;
  req.language = "xx-nosuch";
  auto r = tts.synthesize("hello", req);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  req.language = "../../etc/passwd";
  EXPECT_FALSE(tts.synthesize("hello", req));
  req.language = "en";
  EXPECT_FALSE(tts.synthesize("", req));
  EXPECT_FALSE(tts.synthesize(std::string(5000, 'a'), req));
}

// Real speech through the codec a call uses: Opus at 32 kb/s keeps the waveform (correlation
// above 0.9 once aligned for the codec's delay), for both engines' voices.
TEST(Tts, SpeechSurvivesAnOpusRoundTrip) {
  FliteTts flite;
  EspeakTts espeak;
  TtsRequest en;
  TtsRequest ru;
  ru.language = "ru";
  for (auto clip : {flite.synthesize("What are your opening hours?", en), espeak.synthesize("Чем я могу вам помочь?", ru)}) {
    ASSERT_TRUE(clip);
    auto enc = media::OpusEncoder::create({});
    auto dec = media::OpusDecoder::create();
    ASSERT_TRUE(enc && dec);
    std::vector<int16_t> in(clip->data.begin(), clip->data.end()), out;
    in.resize(in.size() / 960 * 960);
    for (size_t i = 0; i < in.size(); i += 960) {
      auto p = (*enc)->encode(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(in).subspan(i, 960)));
      ASSERT_TRUE(p);
      media::AudioFrame f;
      ASSERT_TRUE((*dec)->decode(*p, f));
      out.insert(out.end(), f.data.begin(), f.data.end());
    }
    auto [lag, c] = media::test::best_alignment(in, out, 960);
    EXPECT_GT(c, 0.9) << "lag " << lag;
  }
}

// Both engines are global-state C libraries: concurrent callers must be serialised safely.
TEST(Tts, ConcurrentCallersAllGetSpeech) {
  FliteTts flite;
  EspeakTts espeak;
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      TtsRequest req;
      req.sample_rate = 16000;
      req.language = t % 2 ? "ru" : "en";
      TtsProvider& p = t % 2 ? static_cast<TtsProvider&>(espeak) : static_cast<TtsProvider&>(flite);
      auto a = p.synthesize(t % 2 ? "Добрый день" : "Good afternoon", req);
      ok[static_cast<size_t>(t)] = a && a->duration() > milliseconds(300) ? 1 : 0;
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(ok[static_cast<size_t>(t)], 1) << t;
}

}  // namespace
}  // namespace parley::providers
