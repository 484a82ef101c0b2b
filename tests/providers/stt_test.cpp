#include <gtest/gtest.h>
#include <pocketsphinx.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "core/clock.h"
#include "media/jitter_buffer.h"
#include "media/opus_encoder.h"
#include "providers/stt/pocketsphinx_stt.h"
#include "providers/tts/flite_tts.h"

namespace parley::providers {
namespace {

using std::chrono::milliseconds;

// What flite says, with only its own leading and trailing quiet (no digital silence around it).
media::AudioFrame speak_unpadded(const std::string& text, int rate, const std::string& voice) {
  FliteTts tts;
  TtsRequest req;
  req.sample_rate = rate;
  req.voice = voice;
  auto a = tts.synthesize(text, req);
  EXPECT_TRUE(a) << a.error().to_string();
  return a ? *a : media::AudioFrame{};
}

// Half a second of silence either side, as a caller's utterance would have.
media::AudioFrame speak(const std::string& text, int rate, const std::string& voice = "") {
  const auto said = speak_unpadded(text, rate, voice);
  media::AudioFrame out = media::AudioFrame::silence(rate, 1, milliseconds(500));
  out.data.insert(out.data.end(), said.data.begin(), said.data.end());
  out.data.insert(out.data.end(), static_cast<size_t>(rate / 2), 0);
  out.samples_per_channel = static_cast<int>(out.data.size());
  return out;
}

bool has_word(const std::string& text, const std::string& word) {
  return (" " + text + " ").find(" " + word + " ") != std::string::npos;
}

std::shared_ptr<PocketsphinxStt> provider() {
  auto p = PocketsphinxStt::shared();
  EXPECT_TRUE(p) << p.error().to_string();
  return *p;
}

class SttOfTts : public ::testing::TestWithParam<std::tuple<int, std::string>> {};

// flite says it, pocketsphinx hears it: the key words come back.
TEST_P(SttOfTts, RecognisesTheKeyWords) {
  const auto [rate, voice] = GetParam();
  auto stt = provider();
  auto result = stt->recognize(speak("what are your opening hours", rate, voice));
  ASSERT_TRUE(result) << result.error().to_string();
  EXPECT_EQ(result->type, SttEventType::kFinal);
  EXPECT_TRUE(has_word(result->text, "opening")) << "heard: '" << result->text << "'";
  EXPECT_TRUE(has_word(result->text, "hours")) << "heard: '" << result->text << "'";
}

INSTANTIATE_TEST_SUITE_P(RatesAndVoices, SttOfTts,
                         ::testing::Values(std::make_tuple(16000, std::string("")), std::make_tuple(48000, std::string("")),
                                           std::make_tuple(22050, std::string("kal16"))));

// Recognition does not depend on what the decoder (reused from the pool) heard before: every
// stream starts from the model's initial channel estimate.
TEST(PocketsphinxStt, ResultsDoNotDependOnEarlierCalls) {
  PocketsphinxOptions o;
  o.max_decoders = 1;
  auto stt = PocketsphinxStt::create(o);
  ASSERT_TRUE(stt);
  auto clip = speak("can i speak to a person", 16000);
  auto first = (*stt)->recognize(clip);
  ASSERT_TRUE(first);
  // Another call with very different (clipped, loud) audio on the same decoder.
  auto other = speak("thank you goodbye", 16000);
  for (auto& s : other.data) s = static_cast<int16_t>(std::clamp(s * 4, -32767, 32767));
  ASSERT_TRUE((*stt)->recognize(other));
  auto again = (*stt)->recognize(clip);
  ASSERT_TRUE(again);
  EXPECT_EQ(first->text, again->text);
  EXPECT_EQ(first->text, "can i speak to a person");
}

// Without the second pass (providers.pocketsphinx.second_pass: false) the first pass's words are
// the text: the same question still comes back word for word.
TEST(PocketsphinxStt, WithoutTheSecondPassTheWordsStillComeBack) {
  PocketsphinxOptions o;
  o.max_decoders = 1;
  o.second_pass = false;
  auto stt = PocketsphinxStt::create(o);
  ASSERT_TRUE(stt) << stt.error().to_string();
  auto heard = (*stt)->recognize(speak("can i speak to a person", 16000));
  ASSERT_TRUE(heard) << heard.error().to_string();
  EXPECT_EQ(heard->text, "can i speak to a person");
}

// The words-per-frame limit (providers.pocketsphinx.max_words_per_frame) reaches the search as
// -maxwpf (0: pocketsphinx's own "no limit", -1), and the limited search hears a question word
// for word.
TEST(PocketsphinxStt, TheWordsPerFrameLimitReachesTheSearch) {
  for (const int limit : {10, 0}) {
    PocketsphinxOptions o;
    o.max_decoders = 1;
    o.max_words_per_frame = limit;
    auto stt = PocketsphinxStt::create(o);
    ASSERT_TRUE(stt) << stt.error().to_string();
    {
      auto d = (*stt)->acquire();
      ASSERT_TRUE(d) << d.error().to_string();
      EXPECT_EQ(cmd_ln_int32_r(ps_get_config(static_cast<ps_decoder_t*>(d->ps)), "-maxwpf"), limit > 0 ? limit : -1);
      (*stt)->release(*d);
    }
    auto heard = (*stt)->recognize(speak("can i speak to a person", 16000));
    ASSERT_TRUE(heard) << heard.error().to_string();
    EXPECT_EQ(heard->text, "can i speak to a person") << "max_words_per_frame " << limit;
  }
  PocketsphinxOptions negative;
  negative.max_words_per_frame = -1;
  auto refused = PocketsphinxStt::create(negative);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().message.find("max_words_per_frame"), std::string::npos);
}

// The second pass is skipped for an utterance that starts while every one of the
// second_pass_max_concurrent decoders that make it is busy (its final would queue behind theirs),
// and made again once one is free. A narrowband question the two kinds of decoder hear
// differently shows which one it had.
TEST(PocketsphinxStt, TheSecondPassIsSkippedWhileTooManyUtterancesAreInFlight) {
  const auto question = speak("can you give me directions to your office", 8000, "kal");
  PocketsphinxOptions first_pass_only;
  first_pass_only.max_decoders = 1;
  first_pass_only.second_pass = false;
  auto reference = PocketsphinxStt::create(first_pass_only);
  ASSERT_TRUE(reference) << reference.error().to_string();
  auto without = (*reference)->recognize(question);
  ASSERT_TRUE(without) << without.error().to_string();

  PocketsphinxOptions o;
  o.max_decoders = 2;
  o.second_pass_max_concurrent = 1;
  auto stt = PocketsphinxStt::create(o);
  ASSERT_TRUE(stt) << stt.error().to_string();
  EXPECT_EQ((*stt)->second_pass_decoders(), 1u);
  auto alone = (*stt)->recognize(question);
  ASSERT_TRUE(alone) << alone.error().to_string();
  // The precondition that makes the rest mean something: the passes disagree on this question.
  ASSERT_NE(alone->text, without->text);
  EXPECT_EQ((*stt)->second_passes_skipped(), 0u);

  // Another caller is speaking: this question starts as the second utterance in flight.
  auto other = (*stt)->open_stream({});
  ASSERT_TRUE(other) << other.error().to_string();
  ASSERT_TRUE((*other)->push_frame(speak("hello", 16000)));
  auto busy = (*stt)->recognize(question);
  ASSERT_TRUE(busy) << busy.error().to_string();
  EXPECT_EQ(busy->text, without->text);
  EXPECT_EQ((*stt)->second_passes_skipped(), 1u);
  ASSERT_TRUE((*other)->flush());
  other->reset();

  // Alone again: the second pass is back, and gives what it gave before.
  auto again = (*stt)->recognize(question);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->text, alone->text);
  EXPECT_EQ((*stt)->second_passes_skipped(), 1u);
}

// 0 stands for every decoder; a limit is at most every decoder; a negative one is refused with
// what to set.
TEST(PocketsphinxStt, EveryDecoderMakesTheSecondPassUnlessLimited) {
  PocketsphinxOptions o;
  o.max_decoders = 64;
  auto stt = PocketsphinxStt::create(o);
  ASSERT_TRUE(stt) << stt.error().to_string();
  EXPECT_EQ((*stt)->second_pass_decoders(), 64u);
  o.max_decoders = 1;
  o.second_pass_max_concurrent = 4;
  auto one = PocketsphinxStt::create(o);
  ASSERT_TRUE(one);
  EXPECT_EQ((*one)->second_pass_decoders(), 1u);
  o.second_pass = false;
  auto off = PocketsphinxStt::create(o);
  ASSERT_TRUE(off);
  EXPECT_EQ((*off)->second_pass_decoders(), 0u);
  o.second_pass_max_concurrent = -1;
  auto bad = PocketsphinxStt::create(o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("second_pass_max_concurrent"), std::string::npos) << bad.error().to_string();
}

// A phone line's shape is learned once per call: flite's 8 kHz voice stands for a narrowband
// line, whose average spectrum is far from the wideband model's starting point. Questions that
// each start from scratch lose words the same questions asked in one call (one channel, carried
// from each to the next) keep. Another call, with a channel of its own, starts from scratch.
TEST(PocketsphinxStt, ACallsLineIsLearnedFromOneQuestionToTheNext) {
  PocketsphinxOptions o;
  o.max_decoders = 1;
  auto stt = PocketsphinxStt::create(o);
  ASSERT_TRUE(stt);
  const std::vector<std::string> questions = {"what are your opening hours", "when are you open on the weekend",
                                              "where are you located",       "what is your address",
                                              "how much does a visit cost",  "what are your prices"};
  SttRequest call;
  call.channel = std::make_shared<SttChannel>();
  std::vector<std::string> in_one_call, each_alone;
  for (const auto& q : questions) {
    const auto clip = speak_unpadded(q, 8000, "kal");
    auto heard = (*stt)->recognize(clip, call);
    ASSERT_TRUE(heard);
    in_one_call.push_back(heard->text);
    SttRequest alone;
    alone.channel = std::make_shared<SttChannel>();
    auto fresh = (*stt)->recognize(clip, alone);
    ASSERT_TRUE(fresh);
    each_alone.push_back(fresh->text);
  }
  EXPECT_FALSE(call.channel->estimate.empty());
  // Words of each question missing from what was heard.
  auto missed = [&](const std::vector<std::string>& heard) {
    size_t n = 0;
    for (size_t i = 0; i < questions.size(); ++i) {
      std::istringstream words(questions[i]);
      for (std::string w; words >> w;) n += has_word(heard[i], w) ? 0 : 1;
    }
    return n;
  };
  const auto all = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& t : v) out += "'" + t + "' ";
    return out;
  };
  EXPECT_LT(missed(in_one_call) * 3, missed(each_alone) * 2) << "in one call: " << all(in_one_call)
                                                          << "\neach alone: " << all(each_alone);
  EXPECT_EQ(in_one_call[1], "when are you open on the weekend") << all(in_one_call);
  EXPECT_NE(each_alone[1], "when are you open on the weekend") << all(each_alone);
  // Without a channel at all, a question is heard as by a call of its own.
  auto no_channel = (*stt)->recognize(speak_unpadded(questions[5], 8000, "kal"));
  ASSERT_TRUE(no_channel);
  EXPECT_EQ(no_channel->text, each_alone[5]);
}

TEST(PocketsphinxStt, StreamsInterimsThenAFinal) {
  auto stt = provider();
  auto stream = stt->open_stream({});
  ASSERT_TRUE(stream) << stream.error().to_string();
  auto clip = speak("what are your opening hours", 16000);
  std::vector<SttEvent> interims;
  for (size_t i = 0; i < clip.data.size(); i += 320) {
    auto part = std::span<const int16_t>(clip.data).subspan(i, std::min<size_t>(320, clip.data.size() - i));
    auto ev = (*stream)->push_frame(media::AudioFrame::from_samples(16000, 1, part));
    ASSERT_TRUE(ev);
    for (auto& e : *ev) {
      EXPECT_EQ(e.type, SttEventType::kInterim);
      EXPECT_FALSE(e.text.empty());
      interims.push_back(e);
    }
  }
  EXPECT_GE(interims.size(), 1u);
  auto final_event = (*stream)->flush();
  ASSERT_TRUE(final_event);
  EXPECT_TRUE(has_word(final_event->text, "hours")) << final_event->text;
  // The stream takes the next utterance.
  auto silence = (*stream)->push_frame(media::AudioFrame::silence(16000, 1, milliseconds(500)));
  ASSERT_TRUE(silence);
  auto empty = (*stream)->flush();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->type, SttEventType::kFinal);
  // A flush with nothing pushed is an empty final.
  auto nothing = (*stream)->flush();
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->text.empty());
}

// A stream decodes its audio a batch at a time (decode_batch_ms) for the caches' sake: the words,
// and the interims' text, are those of decoding every 20 ms frame as it comes, and what is left
// of a batch at the utterance's end is decoded by the final.
TEST(PocketsphinxStt, DecodingInBatchesHearsWhatFrameByFrameHears) {
  struct Heard {
    std::vector<std::string> interims;
    std::string final_text;
  };
  auto hear = [](int batch_ms, const media::AudioFrame& clip) {
    PocketsphinxOptions o;
    o.max_decoders = 1;
    o.decode_batch_ms = batch_ms;
    auto stt = PocketsphinxStt::create(o);
    EXPECT_TRUE(stt) << stt.error().to_string();
    Heard heard;
    if (!stt) return heard;
    auto stream = (*stt)->open_stream({});
    EXPECT_TRUE(stream) << stream.error().to_string();
    if (!stream) return heard;
    for (size_t i = 0; i < clip.data.size(); i += 320) {
      auto part = std::span<const int16_t>(clip.data).subspan(i, std::min<size_t>(320, clip.data.size() - i));
      auto ev = (*stream)->push_frame(media::AudioFrame::from_samples(16000, 1, part));
      EXPECT_TRUE(ev);
      if (ev) {
        for (auto& e : *ev) heard.interims.push_back(e.text);
      }
    }
    auto final_event = (*stream)->flush();
    EXPECT_TRUE(final_event);
    if (final_event) heard.final_text = final_event->text;
    return heard;
  };
  // 0.5 s of silence, the question, and most of the half second after it, cut so that the
  // utterance ends 50 ms into a 100 ms batch.
  auto clip = speak("how much do you charge for a visit", 16000);
  clip.data.resize(clip.data.size() / 1600 * 1600 - 1600 + 800);
  clip.samples_per_channel = static_cast<int>(clip.data.size());
  const Heard frame_by_frame = hear(0, clip);
  ASSERT_TRUE(has_word(frame_by_frame.final_text, "charge")) << frame_by_frame.final_text;
  ASSERT_FALSE(frame_by_frame.interims.empty());

  const Heard batched = hear(100, clip);
  EXPECT_EQ(batched.final_text, frame_by_frame.final_text);
  EXPECT_EQ(batched.interims, frame_by_frame.interims);

  // A batch longer than the clip: nothing is decoded before the final, which decodes it all.
  const Heard all_at_the_end = hear(10000, clip);
  EXPECT_TRUE(all_at_the_end.interims.empty());
  EXPECT_EQ(all_at_the_end.final_text, frame_by_frame.final_text);
}

// The whole receive path of a call: TTS at 48 kHz → Opus 20 ms packets → jitter buffer (with
// reordering and one loss) decoding straight to 16 kHz → pocketsphinx.
TEST(PocketsphinxStt, RecognisesSpeechThroughOpusAndTheJitterBuffer) {
  auto clip = speak("what are your opening hours", 48000);
  auto enc = media::OpusEncoder::create({});
  ASSERT_TRUE(enc);
  struct Pkt {
    uint16_t seq;
    uint32_t ts;
    media::SecureVector<uint8_t> payload;
  };
  std::vector<Pkt> packets;
  for (size_t i = 0; i + 960 <= clip.data.size(); i += 960) {
    auto p = (*enc)->encode(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(clip.data).subspan(i, 960)));
    ASSERT_TRUE(p);
    packets.push_back({static_cast<uint16_t>(65500 + packets.size()), static_cast<uint32_t>(960 * packets.size()), std::move(*p)});
  }
  for (size_t i = 10; i + 1 < packets.size(); i += 7) std::swap(packets[i], packets[i + 1]);
  packets.erase(packets.begin() + 40);

  ManualClock clock;
  media::JitterBufferOptions o;
  o.sample_rate = 16000;
  auto jb = media::JitterBuffer::create(clock, o);
  ASSERT_TRUE(jb);
  auto stream = provider()->open_stream({});
  ASSERT_TRUE(stream);
  size_t next = 0;
  for (int tick = 0; tick < static_cast<int>(packets.size()) + 20; ++tick) {
    for (int k = 0; k < 1 && next < packets.size(); ++k, ++next) {
      ASSERT_TRUE((*jb)->push(packets[next].seq, packets[next].ts, packets[next].payload));
    }
    auto frame = (*jb)->pull();
    ASSERT_EQ(frame.audio.sample_rate, 16000);
    ASSERT_TRUE((*stream)->push_frame(frame.audio));
    clock.advance(milliseconds(20));
  }
  EXPECT_EQ((*jb)->stats().lost, 1u);
  auto result = (*stream)->flush();
  ASSERT_TRUE(result);
  EXPECT_TRUE(has_word(result->text, "opening")) << result->text;
  EXPECT_TRUE(has_word(result->text, "hours")) << result->text;
}

TEST(PocketsphinxStt, PoolIsBoundedAndReused) {
  PocketsphinxOptions o;
  o.max_decoders = 1;
  auto stt = PocketsphinxStt::create(o);
  ASSERT_TRUE(stt) << stt.error().to_string();
  {
    auto first = (*stt)->open_stream({});
    ASSERT_TRUE(first);
    auto second = (*stt)->open_stream({});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, ErrorCode::kResourceExhausted);
    EXPECT_TRUE(second.error().retryable);
  }
  auto again = (*stt)->open_stream({});
  ASSERT_TRUE(again);
  EXPECT_EQ((*stt)->decoders_created(), 1u);
}

TEST(PocketsphinxStt, WarmUpLoadsEveryDecoderOnceAndKeepsThemIdle) {
  PocketsphinxOptions o;
  o.max_decoders = 3;
  auto stt = PocketsphinxStt::create(o);
  ASSERT_TRUE(stt) << stt.error().to_string();
  EXPECT_EQ((*stt)->decoders_created(), 1u);  // create() loads the first to check the model
  ASSERT_TRUE((*stt)->warm_up());
  EXPECT_EQ((*stt)->decoders_created(), 3u);
  ASSERT_TRUE((*stt)->warm_up());
  EXPECT_EQ((*stt)->decoders_created(), 3u);
  std::vector<std::unique_ptr<SttStream>> streams;
  for (int i = 0; i < 3; ++i) {
    auto s = (*stt)->open_stream({});
    ASSERT_TRUE(s) << "warmed decoders are idle, ready for calls";
    streams.push_back(std::move(*s));
  }
  EXPECT_FALSE((*stt)->open_stream({}));
  EXPECT_EQ((*stt)->decoders_created(), 3u);
}

// warm_up() decodes a second of audio on every decoder it has; a call on a warmed decoder hears
// what it would have heard on a fresh one.
TEST(PocketsphinxStt, AWarmedDecoderHearsWhatAFreshOneHears) {
  PocketsphinxOptions o;
  o.max_decoders = 1;
  auto cold = PocketsphinxStt::create(o);
  auto warmed = PocketsphinxStt::create(o);
  ASSERT_TRUE(cold && warmed);
  ASSERT_TRUE((*warmed)->warm_up());
  for (const char* text : {"what are your opening hours", "can i speak to a person"}) {
    auto clip = speak(text, 16000);
    auto a = (*cold)->recognize(clip);
    auto b = (*warmed)->recognize(clip);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->text, b->text);
    EXPECT_EQ(b->text, text);
  }
}

// serve's configuration asks the process-wide provider for its decoders; a smaller request later
// (a test, a second ProviderSet) must not take decoders away from calls.
TEST(PocketsphinxStt, SharedProviderLimitOnlyRises) {
  auto a = PocketsphinxStt::shared({.max_decoders = 2});
  ASSERT_TRUE(a) << a.error().to_string();
  const size_t before = (*a)->max_decoders();
  auto b = PocketsphinxStt::shared({.max_decoders = before + 3});
  ASSERT_TRUE(b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*b)->max_decoders(), before + 3);
  ASSERT_TRUE(PocketsphinxStt::shared({.max_decoders = 1}));
  EXPECT_EQ((*a)->max_decoders(), before + 3);
}

// Two calls recognising at once on two threads, each with its own decoder from the pool.
TEST(PocketsphinxStt, ConcurrentStreams) {
  auto stt = provider();
  auto hours = speak("what are your opening hours", 16000);
  auto book = speak("i would like to book a table", 16000);
  std::string a, b;
  std::thread t1([&] {
    auto r = stt->recognize(hours);
    if (r) a = r->text;
  });
  std::thread t2([&] {
    auto r = stt->recognize(book);
    if (r) b = r->text;
  });
  t1.join();
  t2.join();
  EXPECT_TRUE(has_word(a, "hours")) << a;
  EXPECT_TRUE(has_word(b, "book") || has_word(b, "table")) << b;
  EXPECT_GE(stt->decoders_created(), 2u);
}

TEST(PocketsphinxStt, RejectsBadRequests) {
  PocketsphinxOptions o;
  o.model_dir = "/nonexistent/model";
  auto missing = PocketsphinxStt::create(o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("pocketsphinx-en-us"), std::string::npos);

  auto stt = provider();
  SttRequest ru;
  ru.language = "ru";
  EXPECT_FALSE(stt->open_stream(ru));
  auto stream = stt->open_stream({});
  ASSERT_TRUE(stream);
  media::AudioFrame bad = media::AudioFrame::silence(16000, 1, milliseconds(20));
  bad.data.pop_back();
  EXPECT_FALSE((*stream)->push_frame(bad));
  EXPECT_TRUE((*stream)->push_frame(media::AudioFrame::silence(16000, 1, milliseconds(20))));
  EXPECT_FALSE((*stream)->push_frame(media::AudioFrame::silence(8000, 1, milliseconds(20))));
}

}  // namespace
}  // namespace parley::providers
