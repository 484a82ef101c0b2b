// A whole call through the real offline engines, in real time, without the network: a caller
// (flite speech at 16 kHz, resampled to the room's 48 kHz, paced at 20 ms) asks the embedded
// script's questions; the agent (WebRTC VAD → pocketsphinx → script → flite) answers; its
// recorded voice, recognised by pocketsphinx, carries the expected words.
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "agent/call_agent.h"
#include "core/asio_loop.h"
#include "media/shared_frame_tick.h"
#include "media/resampler.h"
#include "providers/stt/pocketsphinx_stt.h"
#include "providers/tts/flite_tts.h"

namespace parley::agent {
namespace {

using namespace std::chrono_literals;

class RecordingRoom final : public CallRoom {
 public:
  void join(CallRoomEvents e) override {
    std::lock_guard l(mu);
    events = std::move(e);
  }
  ~RecordingRoom() override { tick.cancel(); }
  // The agent's voice, pulled on the real 20 ms frame tick of the call's loop (set on it).
  void set_audio_source(std::shared_ptr<media::OutgoingAudio> source) override {
    tick.cancel();
    if (!source) return;
    if (!frame_tick) frame_tick = media::SharedFrameTick::for_loop(*loop);  // lives while held
    tick = frame_tick->subscribe([this, source] {
      if (auto f = source->pull()) {
        std::lock_guard l(mu);
        for (auto s : f->samples()) audio.push_back(s);
      }
    });
  }
  void publish_transcript(const TranscriptSegment& s) override {
    std::lock_guard l(mu);
    transcripts.push_back(s);
    if (s.agent && s.final) ++agent_finals;
    cv.notify_all();
  }
  void leave() override {}
  const std::string& agent_identity() const override { return identity; }

  EventLoop* loop = nullptr;
  std::shared_ptr<media::SharedFrameTick> frame_tick;
  TimerHandle tick;
  std::mutex mu;
  std::condition_variable cv;
  CallRoomEvents events;
  std::vector<int16_t> audio;  // 48 kHz
  std::vector<TranscriptSegment> transcripts;
  int agent_finals = 0;
  std::string identity = "parley-agent";
};

class NoControl final : public CallControl {
 public:
  void hang_up(const std::string&, const std::string&, std::function<void(Status)> done) override { done({}); }
  void transfer(const std::string&, const std::string&, const std::string&, std::function<void(Status)> done) override {
    done({});
  }
};

std::vector<media::AudioFrame> caller_says(const std::string& text) {
  providers::FliteTts flite;
  providers::TtsRequest req;
  req.sample_rate = 16000;
  auto clip = flite.synthesize(text, req);
  EXPECT_TRUE(clip);
  auto rs = *media::Resampler::create(16000, 48000, 1);
  media::SecureVector<int16_t> up;
  EXPECT_TRUE(rs->process(clip->samples(), up));
  EXPECT_TRUE(rs->flush(up));
  std::vector<media::AudioFrame> frames;
  for (size_t i = 0; i + 960 <= up.size(); i += 960) {
    frames.push_back(media::AudioFrame::from_samples(48000, 1, std::span<const int16_t>(up.data() + i, 960)));
  }
  return frames;
}

std::string recognise_48k(const std::vector<int16_t>& audio, size_t from) {
  auto rs = *media::Resampler::create(48000, 16000, 1);
  media::SecureVector<int16_t> down;
  EXPECT_TRUE(rs->process(std::span<const int16_t>(audio.data() + from, audio.size() - from), down));
  EXPECT_TRUE(rs->flush(down));
  auto stt = *providers::PocketsphinxStt::shared();
  auto r = stt->recognize(media::AudioFrame::from_samples(16000, 1, down));
  EXPECT_TRUE(r);
  return r ? r->text : "";
}

TEST(EmbeddedCall, TheAgentAnswersSpokenQuestionsWithTheOfflineEngines) {
  auto config = std::make_shared<Config>();
  config->providers.stt = {"pocketsphinx"};
  config->providers.tts = {"flite", "espeak-ng"};
  config->providers.llm = {"script"};
  config->agent.greeting = {{"en", "Hello, how can I help?"}};
  AsioLoop net("net");
  auto set = ProviderSet::create(*config, net.io_context());
  ASSERT_TRUE(set) << set.error().to_string();
  ASSERT_TRUE((*set)->skipped().empty());
  AsioLoop call("call");
  NoControl control;
  auto room_owned = std::make_unique<RecordingRoom>();
  auto* room = room_owned.get();
  room->loop = &call;
  std::unique_ptr<CallAgent> agent;
  call.post([&] {
    agent = std::make_unique<CallAgent>(call, SystemClock::instance(), config, "room", CallAgentDeps{std::move(room_owned), &control, *set, nullptr, nullptr, {}, {}},
                                        log::root(), [](const std::string&) {});
    agent->start();
    room->events.on_joined({});
    room->events.on_caller({"caller", "TR_1", true, {}});
  });

  // The caller's side, in real time: silence except while asking.
  auto silence = media::AudioFrame::silence(48000, 1, 20ms);
  auto next = std::chrono::steady_clock::now();
  auto send = [&](const media::AudioFrame& f) {
    call.post([&, f] { room->events.on_caller_audio(f); });
    next += 20ms;
    std::this_thread::sleep_until(next);
  };
  auto wait_for_finals = [&](int n, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard l(room->mu);
        if (room->agent_finals >= n) return true;
      }
      send(silence);
    }
    return false;
  };

  ASSERT_TRUE(wait_for_finals(1, 20s)) << "no greeting";
  struct Question {
    std::string text;
    std::vector<std::string> expect;  // any of these words in the recognised answer
  };
  std::vector<Question> questions = {{"what are your opening hours", {"nine", "six", "morning", "evening", "monday", "friday"}},
                                     {"how much does it cost", {"fifty", "dollars", "consultation", "free"}}};
  int finals = 1;
  for (const auto& q : questions) {
    size_t from;
    {
      std::lock_guard l(room->mu);
      from = room->audio.size();
    }
    for (const auto& f : caller_says(q.text)) send(f);
    ASSERT_TRUE(wait_for_finals(++finals, 30s)) << "no answer to: " << q.text;
    std::vector<int16_t> audio;
    {
      std::lock_guard l(room->mu);
      audio = room->audio;
    }
    auto heard = recognise_48k(audio, from);
    bool found = false;
    for (const auto& w : q.expect) found |= heard.find(w) != std::string::npos;
    EXPECT_TRUE(found) << "asked '" << q.text << "', the agent's answer was heard as '" << heard << "'";
  }
  {
    std::lock_guard l(room->mu);
    std::vector<std::string> caller_text;
    for (const auto& t : room->transcripts) {
      if (!t.agent && t.final) caller_text.push_back(t.text);
    }
    ASSERT_EQ(caller_text.size(), 2u);
    EXPECT_NE(caller_text[0].find("hours"), std::string::npos) << caller_text[0];
  }
  call.post([&] { agent->stop("test_over"); });
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  call.post([&] {
    auto s = agent->summary();
    EXPECT_EQ(s.turns, 2);
    agent.reset();
    std::lock_guard l(m);
    done = true;
    cv.notify_all();
  });
  std::unique_lock l(m);
  ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return done; }));
}

}  // namespace
}  // namespace parley::agent
