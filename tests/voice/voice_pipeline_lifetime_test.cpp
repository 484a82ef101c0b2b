// A provider's thread may still hold a callback the pipeline gave it when the call ends: cancel()
// cannot take back a result that is already on its way (a recogniser's worker finishing the
// utterance, a synthesis thread with its last chunk). That late call must reach nothing of the
// pipeline, which is gone; before the fix it read the pipeline's loop reference from the freed
// pipeline (AddressSanitizer: heap-use-after-free).
#include <thread>

#include <gtest/gtest.h>

#include "support/manual_event_loop.h"
#include "support/voice_fakes.h"
#include "voice/voice_pipeline.h"

namespace parley::voice {
namespace {

using namespace std::chrono_literals;

// A recogniser whose "worker" keeps the finish and interim callbacks past cancel(), as a real
// engine's thread does when its result is already computed.
class LateRecognizer final : public SpeechRecognizer {
 public:
  std::string_view name() const override { return "late-stt"; }
  void push_frame(const media::AudioFrame&) override {}
  void finish(std::function<void(Result<std::string>)> done) override { held_done = std::move(done); }
  void cancel() override {}
  void set_interim_handler(std::function<void(std::string)> on_interim) override {
    if (on_interim) held_interim = std::move(on_interim);
  }
  std::function<void(Result<std::string>)> held_done;
  std::function<void(std::string)> held_interim;
};

TEST(VoicePipelineLifetime, AProviderCallbackAfterThePipelineIsGoneReachesNothing) {
  ManualClock clock;
  testing::ManualEventLoop loop{clock};
  testing::FakeVad vad;
  LateRecognizer stt;
  VoicePipelineProviders p;
  p.vad = &vad;
  p.stt = &stt;
  int transcripts = 0;
  VoicePipelineHandler h;
  h.on_user_transcript = [&](const std::string&, bool) { ++transcripts; };
  auto pipeline = std::make_unique<VoicePipeline>(loop, clock, VoicePipelineOptions{}, p, std::move(h));

  // The caller speaks, then pauses: the pipeline asks for the utterance's text.
  for (auto t = 0ms; t < 600ms; t += 20ms) {
    pipeline->push_audio(testing::test_frame(true));
    loop.advance(20ms);
  }
  for (auto t = 0ms; t < 400ms; t += 20ms) {
    pipeline->push_audio(testing::test_frame(false));
    loop.advance(20ms);
  }
  ASSERT_TRUE(stt.held_done) << "the pipeline never asked for the utterance's text";
  ASSERT_TRUE(stt.held_interim);

  pipeline.reset();
  // The engine's worker delivers what it had, from its own thread, after the call ended.
  std::thread worker([&] {
    stt.held_interim("hello");
    stt.held_done(std::string("hello there"));
  });
  worker.join();
  loop.run_ready();
  EXPECT_EQ(transcripts, 0);
}

}  // namespace
}  // namespace parley::voice
