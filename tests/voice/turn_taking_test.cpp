// Turn-taking cuts of issue 15: the endpointing wait counted from the voice's end (not the VAD's
// hangover), the adaptive wait from the words, and preemptive generation during the wait.
#include <gtest/gtest.h>

#include "pipeline_harness.h"
#include "voice/voice_end.h"

namespace parley::voice {
namespace {

using testing::FakeLlm;


// A frame the FakeVad calls speech but at -84 dBov: the VAD's hangover after the voice.
media::AudioFrame hangover_frame() { return testing::test_frame(true, 48000, 2); }

TEST(VoiceEndTracker, TheVoiceEndsAtTheLastLoudFrameNotTheVadsLastSpeechFrame) {
  VoiceEndTracker t;
  auto t0 = Clock::time_point(std::chrono::seconds(100));
  auto at = t0;
  for (int i = 0; i < 10; ++i) t.push(testing::test_frame(false), false, at += 20ms);  // the line's floor
  for (int i = 0; i < 20; ++i) t.push(testing::test_frame(true), true, at += 20ms);
  auto voice = at;
  for (int i = 0; i < 6; ++i) t.push(hangover_frame(), true, at += 20ms);  // 120 ms hangover
  EXPECT_EQ(t.vad_end(), voice + 120ms);
  EXPECT_EQ(t.voice_end(), voice);
  // A quiet stretch the VAD keeps calling speech for longer than any hangover is taken as voice
  // beyond max_hangover: a soft ending costs at most that much of the wait.
  for (int i = 0; i < 10; ++i) t.push(hangover_frame(), true, at += 20ms);
  EXPECT_EQ(t.voice_end(), at - 160ms);
}

TEST(VoiceEndTracker, AboveANoisyFloorOnlyWhatStandsOutIsVoice) {
  VoiceEndTracker t;
  auto at = Clock::time_point(std::chrono::seconds(1));
  for (int i = 0; i < 10; ++i) t.push(testing::test_frame(true, 48000, 100), false, at += 20ms);  // -50 dBov noise
  t.push(testing::test_frame(true, 48000, 3000), true, at += 20ms);
  auto voice = at;
  t.push(testing::test_frame(true, 48000, 200), true, at += 20ms);  // 6 dB above the noise: hangover
  EXPECT_EQ(t.voice_end(), voice);
}

TEST(TurnTaking, TheEndpointingWaitCountsFromTheVoicesEndNotFromTheVadsHangover) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("what are your opening hours"), 100ms});
  h.speak(1000ms);
  auto voice_end = h.clock.now();
  h.feed(hangover_frame(), 120ms);  // the VAD still says speech
  h.silence(4s);
  ASSERT_EQ(h.turns.size(), 1u);
  const auto& m = h.turns[0];
  // 0.5 s from the voice's end, not 0.62 s; and the text was asked for 200 ms after it.
  EXPECT_NEAR(*m.end_of_utterance_delay, 0.5, 0.021);
  ASSERT_FALSE(h.frames.empty());
  EXPECT_NEAR(std::chrono::duration<double>(h.frames.front().at - voice_end).count(), 0.55, 0.025);
  double vad = 0;
  for (const auto& x : m.hops) vad += x.hop == "vad" ? x.seconds : 0;
  EXPECT_NEAR(vad, 0.2, 0.021);
}

PipelineHarness adaptive_harness() {
  VoicePipelineOptions o;
  o.endpointing.min_delay = 250ms;
  o.endpointing.script = &providers::Script::embedded();
  return PipelineHarness({}, o);
}

TEST(TurnTaking, FinishedWordsAreAnsweredSoonerUnclearOnesAfterTheDefaultUnfinishedOnesWaitLong) {
  struct Case {
    std::string words;
    double wait;
    double eou;  // the recogniser's 100 ms after the 200 ms pause bounds the shortest wait
  };
  for (const auto& c : std::vector<Case>{{"what are your opening hours", 0.25, 0.3},
                                         {"my name is john", 0.5, 0.5},
                                         {"I would like to", 3.0, 3.0}}) {
    SCOPED_TRACE(c.words);
    auto h = adaptive_harness();
    h.start();
    h.stt.answers.push_back({c.words, 100ms});
    h.speak(1000ms);
    h.silence(10s);
    ASSERT_EQ(h.turns.size(), 1u);
    EXPECT_NEAR(*h.turns[0].endpointing_wait, c.wait, 1e-9);
    EXPECT_NEAR(*h.turns[0].end_of_utterance_delay, c.eou, 0.021);
  }
}

// A stand-in for a network LLM: the answer's first words 300 ms after the request.
std::shared_ptr<FakeLlm> slow_llm(PipelineHarness& h) {
  return std::make_shared<FakeLlm>(h.loop, std::vector<FakeLlm::Step>{FakeLlm::delta(300ms, "We open at nine. "),
                                                                      FakeLlm::finish(320ms)});
}

struct Preemptive {
  explicit Preemptive(bool on, std::chrono::milliseconds delay = 500ms) {
    h = std::make_unique<PipelineHarness>();
    h->options.preemptive_generation = on;
    h->options.endpointing.min_delay = h->options.endpointing.delay = delay;
    llm = slow_llm(*h);
    h->llm = std::make_unique<providers::FallbackLlm>(
        h->loop, std::vector<std::shared_ptr<providers::LlmProvider>>{llm, h->script}, 1000ms);
    h->start();
  }
  std::unique_ptr<PipelineHarness> h;
  std::shared_ptr<FakeLlm> llm;
};

TEST(TurnTaking, APreemptiveReplyIsPlayedTheMomentTheTurnIsTakenWithoutWaitingForTheLlm) {
  for (bool on : {false, true}) {
    SCOPED_TRACE(on ? "preemptive" : "after the turn");
    Preemptive p(on);
    auto& h = *p.h;
    h.stt.answers.push_back({std::string("when do you open"), 100ms});
    h.speak(1000ms);
    auto voice_end = h.clock.now();
    h.silence(4s);
    ASSERT_EQ(h.turns.size(), 1u);
    ASSERT_FALSE(h.frames.empty());
    double first = std::chrono::duration<double>(h.frames.front().at - voice_end).count();
    // The text is in at 0.3 s and the wait ends at 0.5 s: in those 0.2 s the LLM (0.3 s) and the
    // TTS (50 ms) have not finished, so the preemptive reply comes 0.2 s sooner: 0.65 s, not 0.85 s.
    EXPECT_NEAR(first, on ? 0.65 : 0.85, 0.025);
    EXPECT_EQ(h.turns[0].preemptive, on);
    EXPECT_EQ(p.llm->calls, 1);  // one request, one reply
    EXPECT_EQ(h.agent_said(), "We open at nine.");
    EXPECT_EQ(h.finals(), 1);
    auto& ctx = h.pipeline->context().messages;
    ASSERT_EQ(ctx.size(), 2u);
    EXPECT_EQ(ctx[0].text, "when do you open");
    EXPECT_EQ(ctx[1].text, "We open at nine.");
  }
}

TEST(TurnTaking, APreemptiveReplyReadyBeforeTheWaitEndsStartsExactlyAtTheTurn) {
  Preemptive p(true, 1000ms);
  auto& h = *p.h;
  h.stt.answers.push_back({std::string("when do you open"), 100ms});
  h.speak(1000ms);
  auto voice_end = h.clock.now();
  h.silence(4s);
  ASSERT_EQ(h.turns.size(), 1u);
  // LLM and TTS done at 0.3 + 0.3 + 0.05 s, held; the turn is taken at 1.0 s and its first frame
  // leaves then: no LLM or TTS time after the wait.
  EXPECT_NEAR(std::chrono::duration<double>(h.frames.front().at - voice_end).count(), 1.0, 0.021);
  const auto& m = h.turns[0];
  EXPECT_TRUE(m.preemptive);
  double after_wait = 0;
  for (const auto& x : m.hops) {
    if (x.hop == "llm" || x.hop == "first_sentence" || x.hop == "tts") after_wait += x.seconds;
  }
  EXPECT_LT(after_wait, 1e-9);
  EXPECT_NEAR(*m.llm_ttft, 0.3, 0.002);  // the LLM's own time is still recorded
  EXPECT_EQ(p.llm->calls, 1);
  EXPECT_EQ(h.finals(), 1);
}

TEST(TurnTaking, APreemptiveReplyIsDroppedWhenTheCallerGoesOnAndOnlyTheWholeTurnIsAnswered) {
  Preemptive p(true);
  auto& h = *p.h;
  h.stt.answers.push_back({std::string("my name is john"), 100ms});
  h.stt.answers.push_back({std::string("and when do you open"), 100ms});
  h.speak(1000ms);
  h.silence(340ms);  // the text is in at 0.3 s, the LLM asked; the caller goes on before 0.5 s
  EXPECT_EQ(p.llm->calls, 1);
  h.speak(800ms);
  EXPECT_GE(*p.llm->cancels, 1);  // the first request was cancelled
  h.loop.advance(1s);              // its answer would have come by now: it is not spoken
  EXPECT_TRUE(h.frames.empty());
  h.silence(4s);
  ASSERT_EQ(p.llm->calls, 2);
  EXPECT_EQ(p.llm->contexts[0].messages.back().text, "my name is john");
  EXPECT_EQ(p.llm->contexts[1].messages.back().text, "my name is john and when do you open");
  // One reply, to the whole turn, spoken once.
  EXPECT_EQ(h.agent_said(), "We open at nine.");
  EXPECT_EQ(h.finals(), 1);
  ASSERT_EQ(h.turns.size(), 1u);
  auto& ctx = h.pipeline->context().messages;
  ASSERT_EQ(ctx.size(), 2u);
  EXPECT_EQ(ctx[0].text, "my name is john and when do you open");
}

TEST(TurnTaking, APreemptiveReplyIsDroppedWhenTheCallerPressesAKey) {
  Preemptive p(true);
  auto& h = *p.h;
  h.stt.answers.push_back({std::string("my name is john"), 100ms});
  h.speak(1000ms);
  h.silence(400ms);
  h.pipeline->push_dtmf('1');
  EXPECT_GE(*p.llm->cancels, 1);
  h.silence(4s);
  EXPECT_EQ(p.llm->calls, 2);  // the keypad turn's own request
  EXPECT_EQ(h.finals(), 1);
  ASSERT_EQ(h.turns.size(), 1u);
  EXPECT_TRUE(h.turns[0].keypad.has_value());
  EXPECT_FALSE(h.turns[0].preemptive);
}

// The early final: after early_final (120 ms) of silence in the caller's speech the recogniser
// hears that the voice paused, so an embedded engine decodes during the rest of the 200 ms
// speech pause; when the caller goes on it hears that too, and the turn's text is asked for
// once, after the speech pause, as before.
TEST(TurnTaking, TheRecogniserHearsOfAPauseBeforeTheSpeechPauseEndsAndOfTheCallerGoingOn) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("what are your opening hours"), 100ms});
  h.speak(600ms);   // 15 frames of prefix padding and 30 of speech after the onset's 3
  h.silence(100ms);  // a gap between words: nothing
  EXPECT_TRUE(h.stt.pauses.empty());
  h.silence(40ms);  // 140 ms: told at the frame that reached 120 ms
  ASSERT_EQ(h.stt.pauses.size(), 1u);
  EXPECT_EQ(h.stt.pauses[0].rfind("paused@", 0), 0u);
  const int at_pause = std::stoi(h.stt.pauses[0].substr(7));
  h.speak(300ms);  // the caller goes on before the speech pause ends
  ASSERT_EQ(h.stt.pauses.size(), 2u);
  EXPECT_EQ(h.stt.pauses[1], "resumed@" + std::to_string(at_pause + 1)) << "told at the first speech frame";
  EXPECT_EQ(h.stt.finishes, 0);
  h.silence(4s);
  ASSERT_EQ(h.stt.pauses.size(), 3u);
  EXPECT_EQ(h.stt.pauses[2].rfind("paused@", 0), 0u);
  EXPECT_EQ(h.stt.finishes, 1) << "one utterance, its text asked for after the 200 ms speech pause";
  ASSERT_EQ(h.turns.size(), 1u);
  EXPECT_EQ(h.user_finals, std::vector<std::string>{"what are your opening hours"});
}

TEST(TurnTaking, WithoutAnEarlyFinalTheRecogniserHearsOfNoPause) {
  VoicePipelineOptions o;
  o.early_final = 0ms;
  PipelineHarness h({}, o);
  h.start();
  h.stt.answers.push_back({std::string("what are your opening hours"), 100ms});
  h.speak(600ms);
  h.silence(150ms);
  h.speak(300ms);
  h.silence(4s);
  EXPECT_TRUE(h.stt.pauses.empty());
  EXPECT_EQ(h.stt.finishes, 1);
  EXPECT_EQ(h.turns.size(), 1u);
}

// The caller comes back 480 ms into a pause: at the wait's end (500 ms) the VAD has heard 20 ms
// of voice, under min_speech. The turn waits for that run to become speech, so the two halves
// are one turn, not a reply to the first.
TEST(TurnTaking, ATurnIsNotTakenWhileTheCallersVoiceIsComingBack) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("my name is john"), 100ms});
  h.stt.answers.push_back({std::string("and I need help"), 100ms});
  h.speak(1000ms);
  h.silence(480ms);
  h.speak(400ms);
  h.silence(4s);
  EXPECT_EQ(h.user_finals, std::vector<std::string>{"my name is john and I need help"});
  // A run that breaks off before min_speech (a click) does not hold the turn for long.
  h.stt.answers.push_back({std::string("what are your opening hours"), 100ms});
  h.speak(1000ms);
  const auto voice_end = h.clock.now();
  h.silence(480ms);
  h.speak(40ms);
  h.silence(4s);
  ASSERT_EQ(h.user_finals.size(), 2u);
  ASSERT_EQ(h.turns.size(), 2u);
  EXPECT_NEAR(*h.turns[1].end_of_utterance_delay, 0.54, 0.021) << "taken when the run broke off";
  (void)voice_end;
}

}  // namespace
}  // namespace parley::voice
