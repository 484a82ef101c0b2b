#include <gtest/gtest.h>

#include <random>

#include "providers/tts/flite_tts.h"
#include "providers/vad/vad_stream.h"

namespace parley::providers {
namespace {

using std::chrono::milliseconds;

// The text spoken, without the quiet lead-in and tail that flite adds.
media::AudioFrame trimmed_speech(const std::string& text, int rate) {
  FliteTts tts;
  TtsRequest req;
  req.sample_rate = rate;
  auto speech = tts.synthesize(text, req);
  EXPECT_TRUE(speech);
  const size_t n = static_cast<size_t>(rate / 100);
  size_t first = speech->data.size(), last = 0;
  for (size_t i = 0; i + n <= speech->data.size(); i += n) {
    if (media::level_dbov(std::span<const int16_t>(speech->data).subspan(i, n)) > -45.0) {
      first = std::min(first, i);
      last = i + n;
    }
  }
  EXPECT_LT(first, last);
  return media::AudioFrame::from_samples(rate, 1, std::span<const int16_t>(speech->data).subspan(first, last - first));
}

// silence_ms of silence, the text spoken, silence_ms of silence; at `rate`.
media::AudioFrame padded_speech(const std::string& text, int rate, int silence_ms) {
  auto speech = trimmed_speech(text, rate);
  media::AudioFrame out = media::AudioFrame::silence(rate, 1, milliseconds(silence_ms));
  out.data.insert(out.data.end(), speech.data.begin(), speech.data.end());
  out.data.insert(out.data.end(), static_cast<size_t>(rate * silence_ms / 1000), 0);
  out.samples_per_channel = static_cast<int>(out.data.size());
  return out;
}

std::vector<VadEvent> run(VadStream& vad, const media::AudioFrame& clip, size_t chunk) {
  std::vector<VadEvent> all;
  for (size_t i = 0; i < clip.data.size(); i += chunk) {
    auto part = std::span<const int16_t>(clip.data).subspan(i, std::min(chunk, clip.data.size() - i));
    auto events = vad.push_frame(media::AudioFrame::from_samples(clip.sample_rate, 1, part));
    EXPECT_TRUE(events);
    for (auto& e : *events) all.push_back(std::move(e));
  }
  for (auto& e : vad.flush()) all.push_back(std::move(e));
  return all;
}

TEST(WebRtcVad, ClassifiesFrames) {
  auto vad = WebRtcVad::create(3);
  ASSERT_TRUE(vad);
  std::vector<int16_t> silence(320, 0);
  auto r = (*vad)->is_speech(silence, 16000);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
  EXPECT_FALSE((*vad)->is_speech(std::vector<int16_t>(300), 16000));  // not 10/20/30 ms
  EXPECT_FALSE((*vad)->is_speech(silence, 22050));
  EXPECT_FALSE(WebRtcVad::create(4));
}

class VadOnSpeech : public ::testing::TestWithParam<int> {};

// TTS speech with a second of silence either side: exactly one utterance, starting near 1 s,
// whose audio includes the prefix padding.
TEST_P(VadOnSpeech, FindsTheUtterance) {
  const int rate = GetParam();
  auto clip = padded_speech("What are your opening hours?", rate, 1000);
  auto vad = VadStream::create();
  ASSERT_TRUE(vad);
  // Pushed in 10 ms pieces (any size works).
  auto events = run(**vad, clip, static_cast<size_t>(rate / 100));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, VadEventType::kStartOfSpeech);
  EXPECT_EQ(events[1].type, VadEventType::kEndOfSpeech);
  EXPECT_NEAR(static_cast<double>(events[0].speech_start.count()), 1000.0, 150.0);
  // The start is decided min_speech after the speech starts.
  EXPECT_GE(events[0].timestamp, events[0].speech_start + milliseconds(40));
  const auto speech_len = std::chrono::duration_cast<milliseconds>(clip.duration()) - milliseconds(2000);
  EXPECT_NEAR(static_cast<double>(events[1].speech_duration.count()), static_cast<double>(speech_len.count()), 400.0);
  // End decided after min_silence (550 ms) of silence.
  EXPECT_GE(events[1].timestamp - (events[1].speech_start + events[1].speech_duration), milliseconds(540));
  // Event audio = prefix padding (500 ms) + speech + the trailing silence that ended it.
  EXPECT_GT(events[1].audio.duration(), events[1].speech_duration + milliseconds(500));
  EXPECT_FALSE(events[1].truncated);
  EXPECT_FALSE((*vad)->speaking());
}

INSTANTIATE_TEST_SUITE_P(Rates, VadOnSpeech, ::testing::Values(16000, 48000, 22050, 8000));

TEST(VadStream, SilenceAndQuietNoiseAreNotSpeech) {
  auto vad = VadStream::create();
  ASSERT_TRUE(vad);
  auto silence = media::AudioFrame::silence(48000, 2, milliseconds(3000));
  EXPECT_TRUE(run(**vad, silence, 960 * 2).empty());

  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 30.0);  // about -60 dBov hiss
  media::AudioFrame hiss = media::AudioFrame::silence(16000, 1, milliseconds(3000));
  for (auto& s : hiss.data) s = static_cast<int16_t>(noise(rng));
  auto vad2 = VadStream::create();
  EXPECT_TRUE(run(**vad2, hiss, 320).empty());
}

TEST(VadStream, HysteresisOptionsApply) {
  // Two words with a 300 ms pause: one utterance with the default 550 ms min_silence, two with
  // a 200 ms one.
  auto a = trimmed_speech("Hello.", 16000);
  auto b = trimmed_speech("Goodbye.", 16000);
  media::AudioFrame clip = media::AudioFrame::silence(16000, 1, milliseconds(500));
  clip.data.insert(clip.data.end(), a.data.begin(), a.data.end());
  clip.data.insert(clip.data.end(), 16000 * 3 / 10, 0);
  clip.data.insert(clip.data.end(), b.data.begin(), b.data.end());
  clip.data.insert(clip.data.end(), 16000, 0);
  clip.samples_per_channel = static_cast<int>(clip.data.size());
  auto count_ends = [&](VadOptions o) {
    auto vad = VadStream::create(o);
    EXPECT_TRUE(vad);
    auto ev = run(**vad, clip, 320);
    return std::count_if(ev.begin(), ev.end(), [](auto& e) { return e.type == VadEventType::kEndOfSpeech; });
  };
  EXPECT_EQ(count_ends({}), 1);
  VadOptions quick;
  quick.min_silence = milliseconds(200);
  EXPECT_EQ(count_ends(quick), 2);
  // A min_speech longer than the words: nothing starts.
  VadOptions picky;
  picky.min_speech = milliseconds(3000);
  EXPECT_EQ(count_ends(picky), 0);
  // max_speech bounds the audio kept.
  VadOptions small;
  small.max_speech = milliseconds(300);
  auto vad = VadStream::create(small);
  auto ev = run(**vad, clip, 320);
  ASSERT_FALSE(ev.empty());
  EXPECT_TRUE(ev.back().truncated);
  // prefix padding + min_speech + one frame, then at most max_speech.
  EXPECT_LE(ev.back().audio.duration(), milliseconds(600 + 300));
}

TEST(VadStream, RejectsBadInput) {
  VadOptions o;
  o.frame = milliseconds(15);
  EXPECT_FALSE(VadStream::create(o));
  o = {};
  o.mode = 7;
  EXPECT_FALSE(VadStream::create(o));
  auto vad = VadStream::create();
  ASSERT_TRUE(vad);
  media::AudioFrame bad = media::AudioFrame::silence(16000, 1, milliseconds(20));
  bad.data.pop_back();
  EXPECT_FALSE((*vad)->push_frame(bad));
  EXPECT_TRUE((*vad)->push_frame(media::AudioFrame::silence(16000, 1, milliseconds(20))));
  EXPECT_FALSE((*vad)->push_frame(media::AudioFrame::silence(48000, 1, milliseconds(20))));  // rate changed
}

}  // namespace
}  // namespace parley::providers
