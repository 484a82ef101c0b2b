// The call path as parley serve runs it, in one process so ThreadSanitizer sees every thread:
// AgentCallSession (on an I/O loop) runs a CallAgent whose LiveKitCallRoom joins a real room on
// the local livekit-server (signal on an I/O loop, media on a GLib loop), with the embedded
// engines on their worker pools; the call ends at calls.max_duration, and ApiCallControl (its
// own loop) removes the caller through the server API. The caller is a second parley Room that
// publishes audio and records the agent's.
#include <condition_variable>
#include <future>
#include <mutex>

#include <gtest/gtest.h>

#include "agent/provider_set.h"
#include "media/pcm_source.h"
#include "livekit/room/room.h"
#include "livekit/test_token.h"
#include "service/agent_call_session.h"
#include "service/api_control_factory.h"

namespace parley::service {
namespace {

using namespace std::chrono_literals;

// What the caller saw, and how the call ended, written from several threads.
struct Observed {
  std::mutex mu;
  std::condition_variable cv;
  int agent_frames_with_sound = 0;
  bool caller_removed = false;
  std::string ended;  // ctx.end's reason

  template <class Pred>
  bool wait(std::chrono::seconds limit, Pred pred) {
    std::unique_lock l(mu);
    return cv.wait_for(l, limit, [&] { return pred(); });
  }
  template <class F>
  void update(F f) {
    std::lock_guard l(mu);
    f();
    cv.notify_all();
  }
};

bool has_sound(const media::AudioFrame& f) {
  for (auto s : f.samples()) {
    if (s > 500 || s < -500) return true;
  }
  return false;
}

TEST(AgentCallPath, TheAgentGreetsTheCallerAndHangsUpThroughTheServerApi) {
  Config config;
  config.livekit.url = parley::testing::kStackUrl;
  config.livekit.api_key = parley::testing::kStackKey;
  config.livekit.api_secret = parley::testing::kStackSecret;
  config.calls.max_duration = Millis(6'000);
  config.calls.silence_timeout = Millis(0);
  auto shared_config = std::make_shared<const Config>(config);
  std::string room_name = "tsan-call-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());

  AsioLoop provider_net("providers-net");
  auto providers = agent::ProviderSet::create(config, provider_net.io_context());
  ASSERT_TRUE(providers) << providers.error().message;
  auto control = testing::make_api_call_control(config);
  ASSERT_TRUE(control) << control.error().message;
  LoopPool agent_loops(1, 2);
  LoopPool caller_loops(1, 1);
  AsioLoop admission_loop("admission");
  Observed seen;

  // The caller joins first and keeps talking (quiet noise), as a phone's participant does.
  livekit::RoomCallbacks cb;
  cb.on_audio = [&](const livekit::RemoteTrack& t, const media::AudioFrame& f) {
    if (t.participant_identity == config.agent.identity && has_sound(f)) seen.update([&] { ++seen.agent_frames_with_sound; });
  };
  cb.on_disconnected = [&](const Error&) { seen.update([&] { seen.caller_removed = true; }); };
  auto caller = livekit::Room::connect_sync(caller_loops, parley::testing::kStackUrl, parley::testing::join_token(room_name, "caller"),
                                            livekit::RoomOptions{}, cb);
  ASSERT_TRUE(caller) << caller.error().to_string();
  std::promise<Result<std::shared_ptr<livekit::LocalAudioTrack>>> published;
  (*caller)->publish_audio("microphone", [&](auto r) { published.set_value(std::move(r)); });
  auto track = published.get_future().get();
  ASSERT_TRUE(track) << track.error().to_string();
  auto noise = media::AudioFrame::silence(48000, 1, 20s);
  for (size_t i = 0; i < noise.samples().size(); ++i) noise.samples()[i] = static_cast<int16_t>((i * 7919) % 61) - 30;
  auto pcm = std::make_shared<media::PcmSource>();
  ASSERT_TRUE(pcm->push(noise));
  ASSERT_TRUE(pcm->flush());
  (*track)->set_source(pcm);

  AgentCallSessionFactory factory(agent_loops, *providers, **control);
  CallContext ctx;
  ctx.record.call_id = "call-" + room_name;
  ctx.record.room = room_name;
  ctx.record.caller_identity = "caller";
  ctx.config = shared_config;
  ctx.logger = log::root();
  ctx.loop = &admission_loop;
  ctx.end = [&](std::string reason) { seen.update([&] { seen.ended = reason; }); };
  std::unique_ptr<CallSession> session;
  std::promise<void> started;
  admission_loop.post([&] {
    session = factory.create(ctx);
    session->start();
    started.set_value();
  });
  started.get_future().wait();

  // The greeting reaches the caller: a second of the agent's voice.
  EXPECT_TRUE(seen.wait(90s, [&] { return seen.agent_frames_with_sound >= 50; }))
      << "agent frames with sound: " << seen.agent_frames_with_sound;
  // At max_duration the agent says so and hangs up: the server removes the caller, and the
  // session tells admission the call ended.
  EXPECT_TRUE(seen.wait(90s, [&] { return seen.caller_removed && !seen.ended.empty(); }))
      << "caller removed: " << seen.caller_removed << ", ended: " << seen.ended;

  std::promise<void> stopped;
  admission_loop.post([&] {
    session->stop(StopReason::kEnded);
    session.reset();
    stopped.set_value();
  });
  stopped.get_future().wait();
  EXPECT_TRUE(factory.wait_until_stopped(10s)) << "the agent's teardown did not run on its loop";
  (*caller)->leave_sync();
  caller->reset();
  caller_loops.stop();
  agent_loops.stop();
}

}  // namespace
}  // namespace parley::service
