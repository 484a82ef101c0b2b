#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "core/metrics.h"
#include "pipeline_harness.h"

namespace parley::voice {
namespace {

std::string hours_answer() { return providers::Script::embedded().match("opening hours", "en").answer; }

int count_of(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

TEST(VoicePipeline, GreetingIsSpokenPacedAndTranscribedThenKeptInTheContext) {
  PipelineHarness h;
  h.start();
  auto t0 = h.clock.now();
  h.pipeline->say("Hello, you are speaking with parley. How can I help?");
  h.loop.advance(5s);
  ASSERT_FALSE(h.frames.empty());
  for (size_t i = 1; i < h.frames.size(); ++i) EXPECT_EQ(h.frames[i].at - h.frames[i - 1].at, 20ms) << i;
  // Ten words at 200 ms each, after the TTS's 50 ms latency.
  EXPECT_EQ(h.frames.size(), 10u * 10);
  EXPECT_EQ(h.frames.front().at - t0, 50ms);
  EXPECT_EQ(h.agent_said(), "Hello, you are speaking with parley. How can I help?");
  EXPECT_EQ(h.finals(), 1);
  EXPECT_FALSE(h.pipeline->speaking());
  ASSERT_EQ(h.pipeline->context().messages.size(), 1u);
  EXPECT_EQ(h.pipeline->context().messages[0].role, providers::ChatRole::kAssistant);
  EXPECT_TRUE(h.turns.empty());  // a greeting is not a turn
  // ... but its time is accounted for: the TTS's 50 ms, then the frame at once.
  ASSERT_EQ(h.audible.size(), 1u);
  auto hops = h.audible[0].hops();
  ASSERT_EQ(hops.size(), 3u);
  EXPECT_EQ(hops[0].hop, "first_sentence");
  EXPECT_EQ(hops[1].hop, "tts");
  EXPECT_NEAR(hops[1].seconds, 0.05, 1e-9);
  EXPECT_EQ(hops[2].hop, "pacing");
  EXPECT_NEAR(*h.audible[0].total(), 0.05, 1e-9);
}

TEST(VoicePipeline, TheReplysLeadingSilenceIsCutBeforeItsFirstFrameButNotTheNextSentences) {
  PipelineHarness h;
  h.tts1.lead_in = 200ms;
  h.start();
  auto t0 = h.clock.now();
  h.pipeline->say("We are open from nine in the morning to six in the evening. A visit costs fifty dollars.");
  h.loop.advance(10s);
  ASSERT_EQ(h.tts1.requests.size(), 2u);
  // Of the first sentence's 200 ms lead-in a 40 ms pre-roll is left; the second keeps all of it,
  // the pause between the sentences.
  EXPECT_EQ(h.frames_from(0), 2 + 10);
  EXPECT_EQ(h.frames_from(1111), (13 + 5) * 10);  // 13 words, then 5, at 200 ms each
  EXPECT_EQ(h.frames[0].marker, 0);
  EXPECT_EQ(h.frames[2].marker, 1111);
  // The trimmer waits for the first sound (the engine's second chunk, 5 ms after the first).
  EXPECT_EQ(h.frames[2].at - t0, 55ms + 40ms);
  ASSERT_EQ(h.lead_ins_trimmed.size(), 1u);
  EXPECT_EQ(h.lead_ins_trimmed[0], 160ms);
}

TEST(VoicePipeline, AQuestionIsAnsweredAfterTheEndpointingDelayWithMetrics) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("what are your opening hours"), 120ms});
  h.speak(1000ms);
  auto speech_end = h.clock.now();
  h.silence(6000ms);
  ASSERT_EQ(h.user_finals, std::vector<std::string>{"what are your opening hours"});
  EXPECT_EQ(h.agent_said(), hours_answer());
  EXPECT_EQ(h.stt.finishes, 1);
  // Prefix padding: the recogniser got the 300 ms before the speech was confirmed as well.
  ASSERT_EQ(h.stt.frames_per_utterance.size(), 1u);
  EXPECT_GE(h.stt.frames_per_utterance[0], 1000 / 20 + 2);
  ASSERT_EQ(h.turns.size(), 1u);
  const auto& m = h.turns[0];
  EXPECT_NEAR(*m.end_of_utterance_delay, 0.5, 0.021);
  EXPECT_NEAR(*m.stt_latency, 0.12, 0.021);
  EXPECT_LT(*m.llm_ttft, 0.005);
  EXPECT_NEAR(*m.tts_ttfb, 0.05, 0.002);
  EXPECT_NEAR(*m.end_to_end, 0.55, 0.025);
  // The first frame left end_to_end after the caller's last speech.
  EXPECT_NEAR(std::chrono::duration<double>(h.frames.front().at - speech_end).count(), *m.end_to_end, 0.021);
  // The waterfall: the VAD's 200 ms pause, the recogniser's 120 ms, the rest of the 500 ms
  // endpointing wait, the LLM at once, the TTS's 50 ms; the hops add up to end_to_end.
  std::map<std::string, double> hop;
  double sum = 0;
  for (const auto& x : m.hops) {
    EXPECT_GE(x.seconds, 0) << x.hop;
    hop[std::string(x.hop)] = x.seconds;
    sum += x.seconds;
  }
  EXPECT_EQ(hop.size(), 7u);
  EXPECT_NEAR(sum, *m.end_to_end, 1e-9);
  EXPECT_NEAR(hop["vad"], 0.2, 0.021);
  EXPECT_NEAR(hop["stt"], 0.12, 0.002);
  EXPECT_NEAR(hop["vad"] + hop["stt"] + hop["endpointing"], *m.end_of_utterance_delay, 1e-9);
  EXPECT_LT(hop["llm"] + hop["first_sentence"], 0.005);
  EXPECT_NEAR(hop["tts"], 0.05, 0.002);
  EXPECT_LE(hop["pacing"], 0.021);
  EXPECT_TRUE(m.to_json().contains("waterfall"));
  EXPECT_NE(metrics::registry().render().find("parley_voice_turn_hop_seconds_count{hop=\"endpointing\"}"), std::string::npos);
  auto& ctx = h.pipeline->context().messages;
  ASSERT_EQ(ctx.size(), 2u);
  EXPECT_EQ(ctx[0].text, "what are your opening hours");
  EXPECT_EQ(ctx[1].text, hours_answer());
  EXPECT_NE(metrics::registry().render().find("parley_voice_end_to_end_latency_seconds_count"), std::string::npos);
}

// An engine that endpoints (Yandex's EOU) ends the segment before parley's own VAD pause, but
// only while the VAD hears the caller quiet.
TEST(VoicePipeline, TheEnginesEndOfUtteranceEndsTheSegmentOnlyInSilence) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("what are your opening hours"), 120ms});
  h.speak(600ms);
  ASSERT_TRUE(h.stt.end_of_utterance);
  h.stt.end_of_utterance();  // while the caller speaks: ignored
  h.speak(400ms);
  EXPECT_EQ(h.stt.finishes, 0);
  h.silence(60ms);  // under the 200 ms speech_pause
  h.stt.end_of_utterance();
  h.silence(20ms);
  EXPECT_EQ(h.stt.finishes, 1);
  h.silence(6000ms);
  ASSERT_EQ(h.user_finals, std::vector<std::string>{"what are your opening hours"});
  EXPECT_EQ(h.stt.finishes, 1);
}

TEST(VoicePipeline, UnfinishedWordsWaitUpToTheMaximumDelay) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("I would like to know about"), 100ms});
  h.speak(800ms);
  h.silence(2900ms);
  EXPECT_TRUE(h.user_finals.empty());
  h.silence(300ms);
  EXPECT_EQ(h.user_finals.size(), 1u);
  ASSERT_EQ(h.turns.size(), 0u);  // the reply is still playing
  h.silence(8s);
  ASSERT_EQ(h.turns.size(), 1u);
  EXPECT_NEAR(*h.turns[0].end_of_utterance_delay, 3.0, 0.021);
}

TEST(VoicePipeline, SpeechResumingWithinTheDelayIsOneTurn) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("how much"), 50ms});
  h.stt.answers.push_back({std::string("does it cost"), 50ms});
  h.speak(500ms);
  h.silence(400ms);  // a pause shorter than the endpointing delay
  h.speak(600ms);
  h.silence(5s);
  EXPECT_EQ(h.user_finals, std::vector<std::string>{"how much does it cost"});
  EXPECT_EQ(h.stt.finishes, 2);
  EXPECT_NE(h.agent_said().find("fifty dollars"), std::string::npos);
  EXPECT_EQ(h.turns.size(), 1u);
}

TEST(VoicePipeline, BargeInStopsTheAudioWithinOneFrameAndDropsTheUnheardText) {
  PipelineHarness h;
  h.start();
  h.pipeline->say("We are open from nine in the morning to six in the evening. "
                  "On Saturdays we open at ten and close at two. On Sundays we are closed all day.");
  h.silence(1000ms);  // about five words played
  ASSERT_TRUE(h.pipeline->speaking());
  h.stt.answers.push_back({std::string("where are you located"), 100ms});
  auto before = h.frames.size();
  Clock::time_point decided{};
  for (int i = 0; i < 40 && decided == Clock::time_point{}; ++i) {
    h.speak(20ms);
    if (h.frames.size() > before && h.frames.back().at < h.clock.now() - 20ms) decided = h.clock.now();
    if (h.pipeline->speaking() && h.frames.back().at <= h.clock.now() - 40ms) decided = h.clock.now();
  }
  ASSERT_NE(decided, Clock::time_point{});
  // Speech began at +1000 ms; 500 ms of it interrupts: no frame after +1520 ms (one frame late at most).
  auto last_frame = h.frames.back().at;
  h.speak(500ms);
  EXPECT_EQ(h.frames.back().at, last_frame);
  h.silence(5s);
  EXPECT_EQ(h.user_finals, std::vector<std::string>{"where are you located"});
  auto& ctx = h.pipeline->context().messages;
  ASSERT_GE(ctx.size(), 3u);
  EXPECT_EQ(ctx[0].role, providers::ChatRole::kAssistant);
  EXPECT_TRUE(ctx[0].interrupted);
  EXPECT_TRUE(std::string("We are open from nine in the morning").starts_with(ctx[0].text) ||
              ctx[0].text.starts_with("We are open from nine"))
      << ctx[0].text;
  EXPECT_EQ(ctx[0].text.find("Saturdays"), std::string::npos);
  EXPECT_EQ(ctx[1].text, "where are you located");
  EXPECT_NE(ctx[2].text.find("Baker Street"), std::string::npos);
  // The interrupted reply's transcript was closed (final) and never carried the unheard sentences.
  EXPECT_EQ(h.agent_said().find("Sundays"), std::string::npos);
  EXPECT_EQ(h.finals(), 2);
}

TEST(VoicePipeline, InterruptionStopsWithinOneFrameOfTheDecision) {
  PipelineHarness h;
  h.start();
  h.pipeline->say("We are open from nine in the morning to six in the evening, every day of the week.");
  h.silence(1000ms);
  auto speech_start = h.clock.now();
  h.stt.answers.push_back({std::string("stop"), 100ms});
  h.speak(1000ms);
  // Interruption decided when 500 ms of speech were in (the frame ending at +500 ms).
  auto last = h.frames.back().at;
  EXPECT_LE(last, speech_start + 500ms);
  EXPECT_GE(last, speech_start + 460ms);
}

// Real speech has gaps between words (flite leaves 200–300 ms): over the agent they must not
// restart the interruption count, or a question would interrupt only at its second or third word.
TEST(VoicePipeline, PausesBetweenWordsDoNotDelayTheInterruption) {
  PipelineHarness h;
  h.start();
  h.pipeline->say("We are open from nine in the morning to six in the evening, every day of the week.");
  h.silence(1000ms);
  auto speech_start = h.clock.now();
  h.stt.answers.push_back({std::string("what are your opening hours"), 100ms});
  h.speak(200ms);
  h.silence(260ms);  // longer than speech_pause (200 ms), shorter than overlap_pause (550 ms)
  h.speak(600ms);
  auto paused = std::find_if(h.frames.begin(), h.frames.end(), [&](const auto& f) { return f.at >= speech_start + 700ms; });
  EXPECT_EQ(paused, h.frames.end()) << "the agent kept talking 700 ms into the caller's speech";
  auto last = h.frames.back().at;
  EXPECT_LE(last, speech_start + 500ms + 20ms);
  EXPECT_EQ(h.stt.cancels, 0) << "the first word was not dropped as a short overlap";
}

// A word's soft start that the VAD does not yet call speech still counts towards the
// interruption: the agent stops 500 ms after the sound began, not 500 ms after the VAD woke.
TEST(VoicePipeline, InterruptionCountsFromTheSoundsOnsetNotTheVads) {
  PipelineHarness h;
  h.start();
  h.pipeline->say("We are open from nine in the morning to six in the evening, every day of the week.");
  h.silence(1000ms);
  auto onset = h.clock.now();
  h.stt.answers.push_back({std::string("stop"), 100ms});
  auto soft = testing::test_frame(true, 48000, 400);
  soft.samples()[0] = 0;  // the fake VAD's "not speech", at -38 dBov
  h.feed(soft, 200ms);
  h.speak(1000ms);
  auto last = h.frames.back().at;
  EXPECT_LE(last, onset + 500ms);
  EXPECT_GE(last, onset + 460ms);
}

// The line's steady noise before the caller speaks is not a rising word: no earlier onset.
TEST(VoicePipeline, SteadyNoiseDoesNotMoveTheOnset) {
  PipelineHarness h;
  h.start();
  h.pipeline->say("We are open from nine in the morning to six in the evening, every day of the week.");
  auto noise = testing::test_frame(true, 48000, 400);
  noise.samples()[0] = 0;
  h.feed(noise, 1000ms);  // at -38 dBov, never speech for the VAD
  auto speech_start = h.clock.now();
  h.stt.answers.push_back({std::string("stop"), 100ms});
  h.speak(1000ms);
  auto last = h.frames.back().at;
  EXPECT_LE(last, speech_start + 500ms);
  EXPECT_GE(last, speech_start + 460ms);
}

TEST(VoicePipeline, ShortSpeechOverTheAgentDoesNotInterrupt) {
  PipelineHarness h;
  h.start();
  std::string text = "We are open from nine in the morning to six in the evening, every day of the week.";
  h.pipeline->say(text);
  h.silence(600ms);
  h.stt.answers.push_back({std::string("uh huh"), 50ms});
  h.speak(300ms);
  h.silence(6s);
  EXPECT_EQ(h.agent_said(), text);
  EXPECT_TRUE(h.user_finals.empty());
  EXPECT_EQ(h.stt.cancels, 1);
  EXPECT_FALSE(h.pipeline->context().messages.back().interrupted);
  // No gap in the audio: it never paused.
  for (size_t i = 1; i < h.frames.size(); ++i) ASSERT_EQ(h.frames[i].at - h.frames[i - 1].at, 20ms);
}

TEST(VoicePipeline, AFalseInterruptionResumesAfterTwoSeconds) {
  PipelineHarness h;
  h.start();
  std::string text = "We are open from nine in the morning to six in the evening, every day of the week.";
  h.pipeline->say(text);
  h.silence(600ms);
  h.stt.answers.push_back({std::string(""), 80ms});  // a cough: no words
  h.speak(700ms);
  auto paused_frames = h.frames.size();
  auto noise_end = h.clock.now();
  h.silence(1900ms);
  EXPECT_EQ(h.frames.size(), paused_frames);  // still paused
  h.silence(400ms);
  ASSERT_GT(h.frames.size(), paused_frames);  // resumed
  auto resumed_at = h.frames[paused_frames].at;
  EXPECT_GE(resumed_at - noise_end, 2000ms);
  EXPECT_LE(resumed_at - noise_end, 2260ms);
  h.silence(5s);
  EXPECT_EQ(h.agent_said(), text);
  EXPECT_EQ(h.frames.size(), 18u * 10);  // every word was heard
  EXPECT_FALSE(h.pipeline->context().messages.back().interrupted);
}

TEST(VoicePipeline, SttErrorAsksTheCallerToRepeat) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({make_error(ErrorCode::kUnavailable, "recogniser down", true), 100ms});
  h.speak(800ms);
  h.silence(4s);
  EXPECT_EQ(h.agent_said(), "Sorry, could you repeat that?");
  ASSERT_EQ(h.turns.size(), 1u);
  EXPECT_TRUE(h.turns[0].stt_failed);
  EXPECT_TRUE(h.user_finals.empty());
}

TEST(VoicePipeline, SttTimeoutAsksTheCallerToRepeatAndLateTextIsIgnored) {
  VoicePipelineOptions o;
  o.stt_timeout = 1000ms;
  PipelineHarness h({}, o);
  h.start();
  h.stt.answers.push_back({std::string("opening hours"), 5000ms});
  h.speak(800ms);
  h.silence(8s);
  EXPECT_EQ(h.agent_said(), "Sorry, could you repeat that?");
  EXPECT_TRUE(h.user_finals.empty());
}

TEST(VoicePipeline, LlmErrorFallsBackToTheScript) {
  PipelineHarness* hp = nullptr;
  ManualClock c;  // the fake LLM needs the harness's loop: build it in two steps
  (void)c;
  auto h = std::make_unique<PipelineHarness>();
  auto broken = std::make_shared<FakeLlm>(h->loop, std::vector<FakeLlm::Step>{FakeLlm::error_at(30ms, Error(ErrorCode::kUnavailable, "connection refused", true))});
  h->llm = std::make_unique<providers::FallbackLlm>(h->loop, std::vector<std::shared_ptr<providers::LlmProvider>>{broken, h->script}, 1000ms);
  hp = h.get();
  hp->start();
  hp->stt.answers.push_back({std::string("what are your opening hours"), 100ms});
  hp->speak(800ms);
  hp->silence(8s);
  EXPECT_EQ(broken->calls, 1);
  EXPECT_EQ(hp->agent_said(), hours_answer());
}

TEST(VoicePipeline, LlmTimeoutFallsBackToTheScript) {
  auto h = std::make_unique<PipelineHarness>();
  auto slow = std::make_shared<FakeLlm>(h->loop, std::vector<FakeLlm::Step>{FakeLlm::delta(10s, "Too late.")});
  h->llm = std::make_unique<providers::FallbackLlm>(h->loop, std::vector<std::shared_ptr<providers::LlmProvider>>{slow, h->script}, 1000ms);
  h->start();
  h->stt.answers.push_back({std::string("where are you"), 100ms});
  h->speak(800ms);
  h->silence(12s);
  EXPECT_NE(h->agent_said().find("Baker Street"), std::string::npos);
  EXPECT_EQ(h->agent_said().find("Too late"), std::string::npos);
  ASSERT_EQ(h->turns.size(), 1u);
  EXPECT_NEAR(*h->turns[0].llm_ttft, 1.0, 0.01);
}

TEST(VoicePipeline, StreamedLlmTextIsSpokenSentenceBySentenceWhileTheNextIsWritten) {
  auto h = std::make_unique<PipelineHarness>();
  auto llm = std::make_shared<FakeLlm>(h->loop, std::vector<FakeLlm::Step>{
      FakeLlm::delta(100ms, "We are open from nine "), FakeLlm::delta(150ms, "to six on weekdays. On"),
      FakeLlm::delta(2000ms, " Saturday we open at ten. "), FakeLlm::finish(2100ms)});
  h->llm = std::make_unique<providers::FallbackLlm>(h->loop, std::vector<std::shared_ptr<providers::LlmProvider>>{llm}, 5000ms);
  h->start();
  h->stt.answers.push_back({std::string("when are you open"), 100ms});
  h->speak(800ms);
  h->silence(500ms + 100ms + 200ms);  // turn taken; first sentence written; first audio out
  ASSERT_FALSE(h->frames.empty());
  EXPECT_EQ(h->agent_said(), "We are open from nine to six on weekdays.");  // the first sentence, before the LLM finished
  h->silence(8s);
  EXPECT_EQ(h->agent_said(), "We are open from nine to six on weekdays. On Saturday we open at ten.");
  EXPECT_EQ(h->tts1.requests, (std::vector<std::string>{"We are open from nine to six on weekdays.", "On Saturday we open at ten."}));
  EXPECT_NEAR(*h->turns[0].llm_ttft, 0.1, 0.002);
}

TEST(VoicePipeline, TtsErrorUsesTheNextEngineAndAllFailingStillTranscribes) {
  PipelineHarness h;
  h.start();
  h.tts1.fail = true;
  h.pipeline->say("Hello, how can I help you today?");
  h.silence(4s);
  EXPECT_EQ(h.frames_from(1111), 0);
  EXPECT_GT(h.frames_from(2222), 0);
  EXPECT_EQ(h.agent_said(), "Hello, how can I help you today?");

  h.tts2.fail = true;
  auto frames_before = h.frames.size();
  h.pipeline->say("Nobody can say this sentence out loud.");
  h.silence(4s);
  EXPECT_EQ(h.frames.size(), frames_before);
  EXPECT_EQ(count_of(h.agent_said(), "Nobody can say this sentence out loud."), 1);
  EXPECT_FALSE(h.pipeline->speaking());
}

TEST(VoicePipeline, TtsTimeoutUsesTheNextEngine) {
  VoicePipelineOptions o;
  o.tts_timeout = 800ms;
  PipelineHarness h({}, o);
  h.start();
  h.tts1.hang = true;
  h.pipeline->say("Hello there, how are you?");
  h.silence(5s);
  EXPECT_GT(h.frames_from(2222), 0);
  EXPECT_GE(h.frames.front().at - (h.clock.now() - 5s), 800ms);
}

TEST(VoicePipeline, GoodbyeHangsUpOnlyAfterItWasHeard) {
  PipelineHarness h;
  h.start();
  h.stt.answers.push_back({std::string("thanks that's all goodbye"), 100ms});
  h.speak(800ms);
  h.silence(6s);
  ASSERT_EQ(h.tools, std::vector<std::string>{"end_call"});
  EXPECT_GE(h.tool_times[0], h.frames.back().at);
  EXPECT_NE(h.agent_said().find("Goodbye"), std::string::npos);
}

TEST(VoicePipeline, AKeypadDigitIsATurnAndInterruptsTheAgent) {
  PipelineHarness h;
  h.start();
  h.pipeline->say("Press one for opening hours, two for our address, or zero for an operator.");
  h.silence(500ms);
  h.pipeline->push_dtmf('0');
  h.silence(5s);
  EXPECT_EQ(h.tools, std::vector<std::string>{"transfer_call"});
  EXPECT_NE(h.agent_said().find("operator"), std::string::npos);
  auto& ctx = h.pipeline->context().messages;
  EXPECT_TRUE(ctx[0].interrupted);
  EXPECT_EQ(ctx[1].dtmf, '0');
}

TEST(VoicePipeline, SilenceGetsAPromptThenAGoodbyeAndHangUp) {
  VoicePipelineOptions o;
  o.silence_timeout = 10s;
  PipelineHarness h({}, o);
  h.start();
  h.pipeline->say("Hello.");
  h.silence(9s);
  EXPECT_EQ(h.agent_said(), "Hello.");
  h.silence(2s);
  EXPECT_EQ(h.agent_said(), "Hello.Are you still there?");
  EXPECT_TRUE(h.hangups.empty());
  h.silence(12s);
  EXPECT_NE(h.agent_said().find("Goodbye"), std::string::npos);
  EXPECT_EQ(h.hangups, std::vector<std::string>{"silence"});
}

TEST(VoicePipeline, SpeechResetsTheSilenceTimer) {
  VoicePipelineOptions o;
  o.silence_timeout = 10s;
  PipelineHarness h({}, o);
  h.start();
  h.pipeline->say("Hello.");
  h.silence(8s);
  h.stt.answers.push_back({std::string(""), 50ms});  // noise: no turn, but the caller is there
  h.speak(300ms);
  h.silence(8s);
  EXPECT_EQ(h.agent_said(), "Hello.");
  h.silence(3s);
  EXPECT_EQ(h.agent_said(), "Hello.Are you still there?");
}

TEST(VoicePipeline, StopEndsEverythingAtOnce) {
  PipelineHarness h;
  h.start();
  h.pipeline->say("We are open from nine in the morning to six in the evening.");
  h.silence(300ms);
  auto n = h.frames.size();
  auto texts = h.agent_texts.size();
  h.pipeline->stop();
  h.silence(3s);
  EXPECT_EQ(h.frames.size(), n);
  EXPECT_EQ(h.agent_texts.size(), texts);
  h.pipeline.reset();
  h.loop.advance(10s);
  EXPECT_EQ(h.loop.pending_timers(), 0u);
}

// A 30-second call with four turns runs in milliseconds and the same way every time.
std::vector<int64_t> thirty_second_call() {
  PipelineHarness h;
  h.start();
  h.pipeline->say("Hello, you are speaking with parley. How can I help?");
  h.silence(3s);
  for (const char* q : {"what are your opening hours", "where are you located", "how much does it cost"}) {
    h.stt.answers.push_back({std::string(q), 150ms});
    h.speak(1200ms);
    h.silence(7s);
  }
  h.stt.answers.push_back({std::string("goodbye"), 100ms});
  h.speak(500ms);
  h.silence(4s);
  std::vector<int64_t> out;
  for (const auto& f : h.frames) out.push_back(std::chrono::duration_cast<std::chrono::microseconds>(f.at.time_since_epoch()).count());
  out.push_back(static_cast<int64_t>(h.turns.size()));
  out.push_back(static_cast<int64_t>(h.tools.size()));
  return out;
}

TEST(VoicePipeline, AThirtySecondCallIsFastAndDeterministic) {
  auto start = std::chrono::steady_clock::now();
  auto a = thirty_second_call();
  auto wall = std::chrono::steady_clock::now() - start;
  auto b = thirty_second_call();
  EXPECT_EQ(a, b);
  EXPECT_EQ(a[a.size() - 2], 4);  // four turns
  EXPECT_EQ(a.back(), 1);         // the goodbye hung up
  EXPECT_GT(a.size(), 500u);      // over ten seconds of agent audio
  EXPECT_LT(wall, std::chrono::seconds(2));
}

}  // namespace
}  // namespace parley::voice
