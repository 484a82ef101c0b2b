// The call agent on virtual time with a fake room, fake call control and scripted engines: the
// whole call flow (greeting, questions, keypad, goodbye, transfer, silence, time limit, caller
// hanging up) runs in milliseconds.
#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "agent/call_agent.h"
#include "core/metrics.h"
#include "support/eager_frame_tick.h"
#include "support/manual_event_loop.h"
#include "support/voice_fakes.h"

namespace parley::agent {
namespace {

using namespace std::chrono_literals;
using testing::FakeStt;
using testing::FakeTts;

class FakeRoom final : public CallRoom {
 public:
  void join(CallRoomEvents e) override {
    events = std::move(e);
    joined = true;
  }
  // The room's tick (a stand-in for the media loop's) pulls the agent's voice; it keeps
  // running after leave(), so audio the agent still had queued then would show.
  void set_audio_source(std::shared_ptr<media::OutgoingAudio> source) override {
    tick.reset();
    auto ring = std::dynamic_pointer_cast<media::FrameRing>(source);
    if (ring) tick = std::make_unique<testing::EagerFrameTick>(*loop, *clock, ring, [this](const media::AudioFrame& f) { publish_audio(f); });
  }
  void publish_audio(const media::AudioFrame& f) {
    ASSERT_FALSE(left) << "audio after leave";
    ++frames;
    last_frame_at = clock->now();
    EXPECT_EQ(f.sample_rate, 48000);
  }
  void publish_transcript(const TranscriptSegment& s) override { transcripts.push_back(s); }
  void leave() override { left = true; }
  const std::string& agent_identity() const override { return identity; }
  CallQuality quality() const override { return measured; }

  std::string agent_said() const {
    std::string out;
    for (const auto& t : transcripts) if (t.agent) out += t.text;
    return out;
  }
  std::vector<std::string> caller_finals() const {
    std::vector<std::string> out;
    for (const auto& t : transcripts) if (!t.agent && t.final) out.push_back(t.text);
    return out;
  }

  const Clock* clock = nullptr;
  EventLoop* loop = nullptr;
  std::unique_ptr<testing::EagerFrameTick> tick;
  CallRoomEvents events;
  bool joined = false;
  bool left = false;
  int frames = 0;
  Clock::time_point last_frame_at{};
  std::vector<TranscriptSegment> transcripts;
  std::string identity = "parley-agent";
  CallQuality measured;
};

class FakeControl final : public CallControl {
 public:
  void hang_up(const std::string& room, const std::string& identity, std::function<void(Status)> done) override {
    hangups.push_back(room + "/" + identity);
    if (hold_hangup) {
      held_hangup = std::move(done);
      return;
    }
    done(fail_hangup ? make_error(ErrorCode::kUnavailable, "api down", true) : Status{});
  }
  void transfer(const std::string& room, const std::string& identity, const std::string& to,
                std::function<void(Status)> done) override {
    transfers.push_back(room + "/" + identity + "->" + to);
    if (hold_transfer) {
      held_transfer = std::move(done);
      return;
    }
    done(fail_transfer ? make_error(ErrorCode::kInvalidArgument, "transfer refused") : Status{});
  }
  std::vector<std::string> hangups, transfers;
  bool fail_hangup = false;
  bool hold_hangup = false;  // answer hang_up only when the test says so
  std::function<void(Status)> held_hangup;
  bool fail_transfer = false;
  bool hold_transfer = false;
  std::function<void(Status)> held_transfer;
};

class CallAgentTest : public ::testing::Test {
 protected:
  void SetUp() override { config = make_config(); }

  std::shared_ptr<Config> make_config() {
    auto c = std::make_shared<Config>();
    c->providers.stt = {};
    c->providers.tts = {};
    c->providers.llm = {"script"};
    c->agent.greeting = {{"en", "Hello, you are speaking with parley. How can I help?"}};
    c->calls.silence_timeout = 0ms;
    c->calls.max_duration = 0ms;
    return c;
  }

  void start() {
    auto set = ProviderSet::create(*config, io);
    ASSERT_TRUE(set);
    (*set)->add_recognizer("fake", [this](const std::string& language) {
      stt_language = language;
      auto s = std::make_unique<FakeStt>(loop);
      stt = s.get();
      for (auto& a : pending_answers) s->answers.push_back(a);
      return s;
    });
    (*set)->add_synthesizer(tts);
    (*set)->add_synthesizer(ru_tts);
    (*set)->set_vad([] { return std::make_unique<testing::FakeVad>(); });
    auto r = std::make_unique<FakeRoom>();
    r->clock = &clock;
    r->loop = &loop;
    room = r.get();
    for (auto& l : extra_llms) (*set)->add_llm(l);
    CallAgentDeps deps{std::move(r), &control, *set, nullptr, observer, received, admitted};
    agent = std::make_unique<CallAgent>(loop, clock, config, "call-room", std::move(deps), log::root(),
                                        [this](const std::string& reason) { ends.push_back(reason); });
    agent->start();
    loop.run_ready();
  }
  void connect_caller() {
    room->events.on_joined({});
    room->events.on_caller({"sip_+15550100", "TR_caller", true, {}});
  }
  void feed(bool speech, std::chrono::milliseconds d) {
    for (auto t = 0ms; t < d; t += 20ms) {
      if (room->events.on_caller_audio && !agent->stopped()) room->events.on_caller_audio(testing::test_frame(speech));
      loop.advance(20ms);
    }
  }
  void ask(std::string text, std::chrono::milliseconds listen = 8s) {
    stt->answers.push_back({std::move(text), 100ms});
    feed(true, 1000ms);
    feed(false, listen);
  }

  ManualClock clock;
  testing::ManualEventLoop loop{clock};
  boost::asio::io_context io;
  std::shared_ptr<Config> config;
  std::shared_ptr<FakeTts> tts = std::make_shared<FakeTts>(loop, "fake-tts", 1234);
  std::shared_ptr<FakeTts> ru_tts = std::make_shared<FakeTts>(loop, "fake-ru-tts", 4321);
  std::vector<FakeStt::Answer> pending_answers;
  std::optional<std::chrono::system_clock::time_point> received, admitted;  // time to greeting's start
  FakeStt* stt = nullptr;
  std::string stt_language;  // the language the call's recogniser was made for
  FakeRoom* room = nullptr;
  FakeControl control;
  std::unique_ptr<CallAgent> agent;
  std::vector<std::string> ends;
  std::vector<std::shared_ptr<providers::LlmProvider>> extra_llms;  // before the script, in order
  std::shared_ptr<CallObserver> observer;
};

// What the console's observer is told: events and turns.
class RecordingObserver final : public CallObserver {
 public:
  void on_state(CallState) override {}
  void on_user_text(const std::string&, const std::string&, bool) override {}
  void on_agent_text(const std::string&, const std::string&, bool) override {}
  void on_turn(const voice::TurnMetrics& m) override { turns.push_back(m); }
  void on_event(const std::string& e) override { events.push_back(e); }
  void on_ended(const std::string&) override {}
  std::vector<std::string> events;
  std::vector<voice::TurnMetrics> turns;
};

double active_sessions() {
  return metrics::registry().gauge("parley_agent_active_sessions", "Voice agent sessions running now").get().value();
}

// An outbound call: the callee's participant is in the room while its phone rings, which may
// take longer than the join timeout; the greeting waits for the answer, and nothing is said into
// the ringing.
TEST_F(CallAgentTest, ARingingPhoneIsWaitedForPastTheJoinTimeoutAndGreetedOnceAnswered) {
  start();
  room->events.on_joined({});
  room->events.on_caller_ringing({"sip_+15550100", "TR_caller", true, {}});
  loop.advance(45s);
  EXPECT_TRUE(ends.empty()) << ends.front();
  EXPECT_EQ(room->frames, 0);
  room->events.on_caller({"sip_+15550100", "TR_caller", true, {}});
  loop.advance(5s);
  EXPECT_GT(room->frames, 0);
  EXPECT_EQ(room->agent_said(), "Hello, you are speaking with parley. How can I help?");
}

TEST_F(CallAgentTest, APhoneThatRingsUnansweredEndsTheCallAsNotAnswered) {
  start();
  room->events.on_joined({});
  room->events.on_caller_ringing({"sip_+15550100", "TR_caller", true, {}});
  loop.advance(10s);
  room->events.on_participant_left("sip_+15550100");
  EXPECT_EQ(ends, std::vector<std::string>{"not_answered"});
  EXPECT_EQ(room->frames, 0);
  EXPECT_TRUE(room->left);

  // The same when admission stops the session first (its participant_left webhook).
  ends.clear();
  agent.reset();
  start();
  room->events.on_joined({});
  room->events.on_caller_ringing({"sip_+15550100", "TR_caller", true, {}});
  agent->stop("caller_left");
  EXPECT_EQ(agent->summary().end_reason, "not_answered");
}

// The call's language comes from our number it is on: a Russian number is greeted and answered
// in Russian by its own chain; any other number keeps the English defaults.
TEST_F(CallAgentTest, ACallOnARussianNumberIsHeldInRussianWithItsLinesEngines) {
  config->agent.greeting["ru"] = "Здравствуйте, вы говорите с parley. Чем могу помочь?";
  CallLineConfig ru;
  ru.language = "ru";
  ru.tts = {"fake-ru-tts"};
  config->agent.numbers["+74951234567"] = ru;
  start();
  room->events.on_joined({});
  room->events.on_caller({"sip_+79161234567", "TR_caller", true,
                          {{"sip.trunkPhoneNumber", "+74951234567"}, {"sip.phoneNumber", "+79161234567"}}});
  loop.advance(5s);
  EXPECT_EQ(room->agent_said(), "Здравствуйте, вы говорите с parley. Чем могу помочь?");
  ask("сколько стоит визит");
  EXPECT_NE(room->agent_said().find("Обычный визит стоит пятьдесят долларов, первая консультация бесплатна."), std::string::npos)
      << room->agent_said();
  EXPECT_TRUE(tts->requests.empty());  // the default chain's engine never spoke
  // The greeting's two sentences and the answer, all in Russian, all by the line's engine.
  EXPECT_EQ(ru_tts->requests.size(), 3u);
  EXPECT_EQ(ru_tts->languages, (std::vector<std::string>{"ru", "ru", "ru"}));
  EXPECT_EQ(stt_language, "ru");
}

TEST_F(CallAgentTest, ACallOnAnyOtherNumberKeepsTheEnglishDefaults) {
  CallLineConfig ru;
  ru.language = "ru";
  ru.tts = {"fake-ru-tts"};
  config->agent.numbers["+74951234567"] = ru;
  start();
  room->events.on_joined({});
  room->events.on_caller({"sip_+15550199", "TR_caller", true, {{"sip.trunkPhoneNumber", "+15550100"}}});
  loop.advance(5s);
  EXPECT_EQ(room->agent_said(), "Hello, you are speaking with parley. How can I help?");
  EXPECT_EQ(tts->languages, (std::vector<std::string>{"en", "en"}));  // the greeting's two sentences
  EXPECT_TRUE(ru_tts->requests.empty());
  EXPECT_EQ(stt_language, "en");
}

TEST_F(CallAgentTest, GreetsOnlyOnceTheCallersAudioIsSubscribed) {
  start();
  EXPECT_TRUE(room->joined);
  room->events.on_joined({});
  loop.advance(5s);
  EXPECT_EQ(room->frames, 0);  // nobody to greet yet: the phone is still ringing
  room->events.on_caller({"sip_+15550100", "TR_caller", true, {}});
  loop.advance(5s);
  EXPECT_GT(room->frames, 0);
  EXPECT_EQ(room->agent_said(), "Hello, you are speaking with parley. How can I help?");
  ASSERT_FALSE(room->transcripts.empty());
  EXPECT_TRUE(room->transcripts.back().final);
  EXPECT_TRUE(room->transcripts.back().agent);
  EXPECT_EQ(room->transcripts.back().participant_identity, "parley-agent");
}

TEST_F(CallAgentTest, TheTimeToGreetingAndEachTurnsWaterfallGoIntoTheCallRecord) {
  received = clock.wall();
  loop.advance(5ms);
  admitted = clock.wall();
  loop.advance(15ms);
  start();
  loop.advance(200ms);
  room->events.on_joined({});
  loop.advance(300ms);
  room->events.on_caller({"sip_+15550100", "TR_caller", true, {}});
  loop.advance(5s);
  ASSERT_GT(room->frames, 0);
  auto g = agent->summary().greeting;
  ASSERT_TRUE(g.is_object()) << g;
  // The webhook's 5 ms in admission, 15 + 200 ms to join, 300 ms to the caller's audio, the
  // TTS's 50 ms; the first frame leaves with the first audio.
  EXPECT_NEAR(g["hops"]["admission"].get<double>(), 0.005, 1e-6) << g;
  EXPECT_NEAR(g["hops"]["join"].get<double>(), 0.215, 1e-6) << g;
  EXPECT_NEAR(g["hops"]["subscribe"].get<double>(), 0.3, 1e-6) << g;
  EXPECT_NEAR(g["hops"]["synthesis"].get<double>(), 0.05, 1e-6) << g;
  EXPECT_NEAR(g["hops"]["first_frame"].get<double>(), 0, 1e-6) << g;
  EXPECT_NEAR(g["total"].get<double>(), 0.57, 1e-6) << g;
  // The caller's audio waited 60 ms in the room's jitter buffer: the turn's receive hop.
  auto& buffered = metrics::registry().histogram("parley_voice_receive_buffer_seconds", "").get();
  auto before = buffered.count();
  auto sum_before = buffered.sum();
  room->measured.caller_to_agent = livekit::AudioQuality{};
  room->measured.caller_to_agent->buffered_ms = 60;
  ask("what are your opening hours");
  EXPECT_EQ(buffered.count(), before + 1);
  EXPECT_NEAR(buffered.sum() - sum_before, 0.06, 1e-9);
  agent->stop("test_over");
  auto j = agent->summary().to_json();
  ASSERT_TRUE(j.contains("greeting"));
  auto w = j["median_turn_waterfall"];
  ASSERT_TRUE(w.is_object()) << j;
  double sum = 0;
  for (const auto& [hop, s] : w.items()) {
    EXPECT_GE(s.get<double>(), 0) << hop;
    sum += s.get<double>();
  }
  EXPECT_EQ(w.size(), 7u) << w;
  // One turn: its median hops are its hops, and they add up to its end-to-end latency.
  EXPECT_NEAR(sum, *agent->summary().median_end_to_end, 1e-5) << j;
}

TEST_F(CallAgentTest, AnswersQuestionsAndPublishesBothSidesOfTheConversation) {
  start();
  connect_caller();
  loop.advance(4s);
  ask("what are your opening hours");
  ask("where are you located");
  EXPECT_EQ(room->caller_finals(), (std::vector<std::string>{"what are your opening hours", "where are you located"}));
  auto said = room->agent_said();
  EXPECT_NE(said.find("nine in the morning"), std::string::npos);
  EXPECT_NE(said.find("Baker Street"), std::string::npos);
  for (const auto& t : room->transcripts) {
    if (!t.agent) {
      EXPECT_EQ(t.participant_identity, "sip_+15550100");
      EXPECT_EQ(t.track_sid, "TR_caller");
    }
  }
  agent->stop("test_over");
  EXPECT_EQ(agent->summary().turns, 2);
  ASSERT_TRUE(agent->summary().median_end_to_end);
  EXPECT_LT(*agent->summary().median_end_to_end, 1.0);
}

// After a server restart the room follows the caller to its republished track; the caller's
// transcripts name that track from then on.
TEST_F(CallAgentTest, TheCallersTranscriptsNameItsNewTrackAfterARejoin) {
  start();
  connect_caller();
  loop.advance(4s);
  room->events.on_caller_track({"sip_+15550100", "TR_caller_2", true, {}});
  ask("what are your opening hours");
  int seen = 0;
  for (const auto& t : room->transcripts) {
    if (t.agent) continue;
    EXPECT_EQ(t.track_sid, "TR_caller_2");
    ++seen;
  }
  EXPECT_GT(seen, 0);
  agent->stop("test_over");
}

TEST_F(CallAgentTest, GoodbyeHangsUpTheCallerAfterSayingIt) {
  start();
  connect_caller();
  loop.advance(4s);
  ask("okay thanks goodbye");
  EXPECT_NE(room->agent_said().find("Goodbye"), std::string::npos);
  EXPECT_EQ(control.hangups, std::vector<std::string>{"call-room/sip_+15550100"});
  EXPECT_EQ(ends, std::vector<std::string>{"agent_goodbye"});
  EXPECT_TRUE(room->left);
  EXPECT_TRUE(agent->stopped());
  EXPECT_EQ(agent->summary().end_reason, "agent_goodbye");
}

// RemoveParticipant's answer often comes after the room (or admission's webhook) saw the caller
// leave: that departure is the agent's own hang-up, and the record says so.
TEST_F(CallAgentTest, TheCallerLeavingBecauseTheAgentHungUpIsTheAgentsHangUp) {
  control.hold_hangup = true;
  start();
  connect_caller();
  loop.advance(4s);
  ask("okay thanks goodbye");
  ASSERT_EQ(control.hangups.size(), 1u);
  room->events.on_participant_left("sip_+15550100");
  EXPECT_EQ(ends, std::vector<std::string>{"agent_goodbye"});
  EXPECT_EQ(agent->summary().end_reason, "agent_goodbye");
  control.held_hangup({});
  loop.run_ready();
  EXPECT_EQ(ends.size(), 1u);
}

// The API's answers may come after the session stopped and destroyed the agent (stop() does
// not wait for a hung request): they come on another thread, reach only the loop, and are dropped
// there. Before, the answer read the destroyed agent's members to find its loop.
TEST_F(CallAgentTest, AnswersToHangUpAndTransferAfterTheAgentIsGoneAreDropped) {
  config->agent.transfer_to = "sip:operator@pbx.example.com";
  control.hold_transfer = true;
  start();
  connect_caller();
  loop.advance(4s);
  ask("can I speak to a human");
  ASSERT_EQ(control.transfers.size(), 1u);
  agent->stop("shutdown");
  control.hold_hangup = true;
  agent.reset();
  // A second agent on the same loop gets a hang-up under way too, then goes.
  ends.clear();
  start();
  connect_caller();
  loop.advance(4s);
  ask("okay thanks goodbye");
  ASSERT_EQ(control.hangups.size(), 1u);
  agent->stop("shutdown");
  agent.reset();
  std::thread answers([&] {
    control.held_transfer({});
    control.held_hangup({});
  });
  answers.join();
  loop.run_ready();
  EXPECT_TRUE(ends.empty());
}

TEST_F(CallAgentTest, OperatorTransfersToTheConfiguredUri) {
  config->agent.transfer_to = "sip:operator@pbx.example.com";
  start();
  connect_caller();
  loop.advance(4s);
  ask("can I speak to a human");
  EXPECT_NE(room->agent_said().find("connecting you to an operator"), std::string::npos);
  EXPECT_EQ(control.transfers, std::vector<std::string>{"call-room/sip_+15550100->sip:operator@pbx.example.com"});
  EXPECT_EQ(ends, std::vector<std::string>{"transferred"});
}

TEST_F(CallAgentTest, AKeypadZeroAsksForTheOperatorToo) {
  config->agent.transfer_to = "tel:+15550199";
  start();
  connect_caller();
  loop.advance(1s);
  room->events.on_dtmf('0');  // during the greeting: interrupts it
  loop.advance(5s);
  EXPECT_EQ(control.transfers, std::vector<std::string>{"call-room/sip_+15550100->tel:+15550199"});
}

// An LLM that fails inside the chain (the script answers in its place) is told to the console's
// observer where it happened: after the caller's words, before the script's answer.
TEST_F(CallAgentTest, AnLlmFallingBackToTheScriptIsToldToTheObserver) {
  auto rec = std::make_shared<RecordingObserver>();
  observer = rec;
  extra_llms.push_back(std::make_shared<testing::FakeLlm>(
      loop, std::vector<testing::FakeLlm::Step>{
                testing::FakeLlm::error_at(30ms, Error(ErrorCode::kUnavailable, "connection refused", true))}));
  start();
  connect_caller();
  loop.advance(4s);
  ask("what are your opening hours");
  EXPECT_NE(room->agent_said().find("nine in the morning"), std::string::npos);
  EXPECT_EQ(rec->events, std::vector<std::string>{"llm_fallback:fake-llm:script"});
  ASSERT_EQ(rec->turns.size(), 1u);
  EXPECT_TRUE(rec->turns[0].llm_error.empty());  // the chain answered: not an LLM failure
}

// A keypad turn has a latency too: from the digit received to the answer's first frame.
TEST_F(CallAgentTest, AKeypadTurnHasItsLatencyFromTheDigitToTheFirstAnswerFrame) {
  auto rec = std::make_shared<RecordingObserver>();
  observer = rec;
  start();
  connect_caller();
  loop.advance(6s);  // the greeting is over
  tts->latency = 300ms;  // the answer's first audio comes 300 ms after its sentence is asked for
  room->events.on_dtmf('2');
  loop.advance(5s);
  ASSERT_EQ(rec->turns.size(), 1u);
  const auto& t = rec->turns[0];
  ASSERT_TRUE(t.keypad);
  EXPECT_EQ(*t.keypad, '2');
  EXPECT_FALSE(t.end_of_utterance_delay);
  ASSERT_TRUE(t.end_to_end);
  // The script answers at once; the synthesiser's 300 ms, then the next 20 ms frame out.
  EXPECT_GE(*t.end_to_end, 0.3);
  EXPECT_LT(*t.end_to_end, 0.4);
  EXPECT_NE(std::find(rec->events.begin(), rec->events.end(), "dtmf:2"), rec->events.end());
}

TEST_F(CallAgentTest, AFailedOrImpossibleTransferIsSaidAndTheCallGoesOn) {
  start();
  connect_caller();
  loop.advance(4s);
  ask("operator please");  // no transfer_to configured
  EXPECT_NE(room->agent_said().find("no operator available"), std::string::npos);
  EXPECT_TRUE(ends.empty());

  config->agent.transfer_to = "sip:operator@pbx.example.com";
  control.fail_transfer = true;
  ask("operator please");
  EXPECT_EQ(control.transfers.size(), 1u);
  EXPECT_NE(room->agent_said().find("cannot transfer you right now"), std::string::npos);
  EXPECT_TRUE(ends.empty());
  EXPECT_FALSE(agent->stopped());
}

TEST_F(CallAgentTest, TheCallerHangingUpMidSentenceEndsTheSessionAtOnce) {
  double before = active_sessions();
  start();
  EXPECT_EQ(active_sessions(), before + 1);
  connect_caller();
  loop.advance(1500ms);  // mid-greeting
  int frames = room->frames;
  ASSERT_GT(frames, 0);
  room->events.on_participant_left("sip_+15550100");
  EXPECT_TRUE(agent->stopped());
  EXPECT_TRUE(room->left);
  EXPECT_EQ(ends, std::vector<std::string>{"caller_left"});
  loop.advance(5s);
  EXPECT_EQ(room->frames, frames);
  EXPECT_EQ(agent->pipeline(), nullptr);  // buffers freed
  EXPECT_EQ(active_sessions(), before);
  agent.reset();
  loop.advance(60s);
  EXPECT_EQ(loop.pending_timers(), 0u);
}

TEST_F(CallAgentTest, OtherParticipantsLeavingDoNotEndTheCall) {
  start();
  connect_caller();
  room->events.on_participant_left("someone-else");
  EXPECT_FALSE(agent->stopped());
  room->events.on_disconnected("closed");
  EXPECT_EQ(ends, std::vector<std::string>{"room_closed"});
}

TEST_F(CallAgentTest, SilenceGetsAPromptThenAGoodbyeAndAHangUp) {
  config->calls.silence_timeout = 10s;
  start();
  connect_caller();
  loop.advance(15s);
  EXPECT_NE(room->agent_said().find("Are you still there?"), std::string::npos);
  EXPECT_TRUE(control.hangups.empty());
  loop.advance(15s);
  EXPECT_NE(room->agent_said().find("I will hang up now"), std::string::npos);
  EXPECT_EQ(control.hangups.size(), 1u);
  EXPECT_EQ(ends, std::vector<std::string>{"silence"});
}

TEST_F(CallAgentTest, TheTimeLimitIsSaidAndTheCallHungUp) {
  config->calls.max_duration = 20s;
  start();
  connect_caller();
  loop.advance(4s);
  ask("what are your prices", 10s);
  loop.advance(10s);
  EXPECT_NE(room->agent_said().find("time limit"), std::string::npos);
  EXPECT_EQ(ends, std::vector<std::string>{"max_duration"});
  EXPECT_EQ(control.hangups.size(), 1u);
}

TEST_F(CallAgentTest, AHangUpApiFailureStillLeavesTheRoom) {
  control.fail_hangup = true;
  start();
  connect_caller();
  loop.advance(4s);
  ask("goodbye");
  EXPECT_EQ(ends, std::vector<std::string>{"agent_goodbye"});
  EXPECT_TRUE(room->left);
}

TEST_F(CallAgentTest, AFailedJoinEndsTheCallAndNoCallerEndsItAfterAWhile) {
  start();
  room->events.on_joined(make_error(ErrorCode::kUnauthenticated, "bad token"));
  EXPECT_EQ(ends, std::vector<std::string>{"join_failed"});
  EXPECT_TRUE(room->left);

  ends.clear();
  agent.reset();
  start();
  room->events.on_joined({});
  loop.advance(31s);
  EXPECT_EQ(ends, std::vector<std::string>{"no_caller"});
}

TEST_F(CallAgentTest, RussianCallsUseRussianLines) {
  config->agent.language = "ru";
  config->agent.greeting["ru"] = "Здравствуйте!";
  config->calls.silence_timeout = 10s;
  start();
  connect_caller();
  loop.advance(4s);
  ask("Когда вы открываетесь?");
  EXPECT_NE(room->agent_said().find("Здравствуйте!"), std::string::npos);
  EXPECT_NE(room->agent_said().find("с девяти утра"), std::string::npos);
  ASSERT_FALSE(tts->languages.empty());
  EXPECT_EQ(tts->languages.back(), "ru");
  loop.advance(12s);
  EXPECT_NE(room->agent_said().find("Вы ещё на линии?"), std::string::npos);
}

}  // namespace
}  // namespace parley::agent
