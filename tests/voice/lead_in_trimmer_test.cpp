#include "voice/lead_in_trimmer.h"

#include <gtest/gtest.h>

#include <vector>

namespace parley::voice {
namespace {

using namespace std::chrono_literals;

constexpr int kRate = 16000;

// `quiet` of near-silence (flite's lead-in peaks near 60 of 32767), then `loud` of a tone whose
// every sample is 3000, in one frame.
media::AudioFrame speech(std::chrono::milliseconds quiet, std::chrono::milliseconds loud) {
  auto f = media::AudioFrame::silence(kRate, 1, quiet + loud);
  auto n_quiet = media::samples_for(kRate, quiet);
  auto s = f.samples();
  for (int i = 0; i < n_quiet; ++i) s[static_cast<size_t>(i)] = static_cast<int16_t>(i % 2 ? 40 : -40);
  for (size_t i = static_cast<size_t>(n_quiet); i < s.size(); ++i) s[i] = 3000;
  return f;
}

// Feeds `audio` in chunks of `chunk` and returns everything let through.
std::vector<int16_t> feed_in_chunks(LeadInTrimmer& t, const media::AudioFrame& audio, std::chrono::milliseconds chunk) {
  std::vector<int16_t> out;
  auto step = static_cast<size_t>(media::samples_for(kRate, chunk));
  auto all = audio.samples();
  for (size_t i = 0; i < all.size(); i += step) {
    auto part = media::AudioFrame::from_samples(kRate, 1, all.subspan(i, std::min(step, all.size() - i)));
    auto passed = t.feed(part);
    out.insert(out.end(), passed.data.begin(), passed.data.end());
  }
  return out;
}

TEST(LeadInTrimmer, CutsTheLeadInButKeepsAShortPreRollBeforeTheFirstSound) {
  for (auto chunk : {5ms, 20ms, 100ms, 2000ms}) {
    LeadInTrimmer t;
    auto out = feed_in_chunks(t, speech(220ms, 300ms), chunk);
    EXPECT_TRUE(t.done()) << chunk.count();
    // 220 ms of quiet less the 40 ms pre-roll: 180 ms cut; the sound itself is all there.
    EXPECT_EQ(t.trimmed(), 180ms) << chunk.count();
    ASSERT_EQ(out.size(), static_cast<size_t>(media::samples_for(kRate, 340ms))) << chunk.count();
    EXPECT_EQ(out.front(), -40) << chunk.count();
    EXPECT_EQ(out.back(), 3000) << chunk.count();
  }
}

TEST(LeadInTrimmer, AfterTheFirstSoundEverythingPassesUnchanged) {
  LeadInTrimmer t;
  (void)t.feed(speech(100ms, 100ms));
  ASSERT_TRUE(t.done());
  auto later = speech(300ms, 0ms);  // a pause inside the sentence is kept
  auto out = t.feed(later);
  EXPECT_EQ(out.samples_per_channel, later.samples_per_channel);
}

TEST(LeadInTrimmer, SpeechFromTheFirstSampleIsNotTouched) {
  LeadInTrimmer t;
  auto out = t.feed(speech(0ms, 200ms));
  EXPECT_EQ(out.samples_per_channel, media::samples_for(kRate, 200ms));
  EXPECT_EQ(t.trimmed(), 0ms);
}

TEST(LeadInTrimmer, NeverCutsMoreThanTheCapSoAQuietVoiceIsStillHeard) {
  LeadInTrimmer t;  // cap 500 ms
  auto out = feed_in_chunks(t, speech(1000ms, 100ms), 20ms);
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.trimmed(), 500ms);
  EXPECT_EQ(out.size(), static_cast<size_t>(media::samples_for(kRate, 600ms)));
  EXPECT_EQ(out.back(), 3000);
}

TEST(LeadInTrimmer, AChunkInAnotherFormatStopsTheTrimming) {
  LeadInTrimmer t;
  (void)t.feed(speech(100ms, 0ms));
  auto other = media::AudioFrame::silence(48000, 1, 20ms);
  auto out = t.feed(other);
  EXPECT_TRUE(t.done());
  EXPECT_EQ(out.sample_rate, 48000);
  EXPECT_EQ(out.samples_per_channel, other.samples_per_channel);
}

}  // namespace
}  // namespace parley::voice
