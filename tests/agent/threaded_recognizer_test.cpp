// The embedded recogniser's worker side: an engine with fewer decoders than calls makes the
// later utterance wait for a free decoder (its audio kept, in order), not fail.
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "providers/registry/threaded_engines.h"

namespace parley::agent {
namespace {

using namespace std::chrono_literals;
using providers::make_threaded_recognizer;

// An engine with `slots` decoders; a stream's final text is the number of samples it heard.
class CountingEngine final : public providers::SttProvider {
 public:
  explicit CountingEngine(int slots) : free_(slots) {}
  std::string_view name() const override { return "counting"; }
  bool supports_language(std::string_view) const override { return true; }
  Result<std::unique_ptr<providers::SttStream>> open_stream(const providers::SttRequest&) override {
    std::lock_guard l(mu_);
    if (free_ == 0) return make_error(ErrorCode::kResourceExhausted, "counting: all decoders are busy", true);
    --free_;
    ++opened_;
    return std::unique_ptr<providers::SttStream>(std::make_unique<Stream>(*this));
  }
  int opened() {
    std::lock_guard l(mu_);
    return opened_;
  }
  int flushes() {
    std::lock_guard l(mu_);
    return flushes_;
  }

 private:
  struct Stream final : providers::SttStream {
    explicit Stream(CountingEngine& e) : engine(e) {}
    ~Stream() override {
      std::lock_guard l(engine.mu_);
      ++engine.free_;
    }
    Result<std::vector<providers::SttEvent>> push_frame(const media::AudioFrame& f) override {
      samples += f.data.size();
      return std::vector<providers::SttEvent>{};
    }
    Result<providers::SttEvent> flush() override {
      {
        std::lock_guard l(engine.mu_);
        ++engine.flushes_;
      }
      providers::SttEvent e;
      e.type = providers::SttEventType::kFinal;
      e.text = std::to_string(samples);
      samples = 0;
      return e;
    }
    CountingEngine& engine;
    size_t samples = 0;
  };
  std::mutex mu_;
  int free_;
  int opened_ = 0;
  int flushes_ = 0;
};

std::future<Result<std::string>> finish(providers::SpeechRecognizer& r) {
  auto p = std::make_shared<std::promise<Result<std::string>>>();
  r.finish([p](Result<std::string> text) { p->set_value(std::move(text)); });
  return p->get_future();
}

// Strands run in parallel on the pool: the test decides who holds the decoder.
void wait_until_opened(CountingEngine& engine, int n) {
  for (int i = 0; i < 500 && engine.opened() < n; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(engine.opened(), n);
}

TEST(ThreadedRecognizer, WaitsForAFreeDecoderInsteadOfFailing) {
  boost::asio::thread_pool pool(2);
  auto engine = std::make_shared<CountingEngine>(1);
  auto first = make_threaded_recognizer(pool, engine, "en");
  auto second = make_threaded_recognizer(pool, engine, "en");
  auto frame = media::AudioFrame::silence(16000, 1, 20ms);  // 320 samples
  for (int i = 0; i < 10; ++i) first->push_frame(frame);   // takes the only decoder
  wait_until_opened(*engine, 1);
  for (int i = 0; i < 25; ++i) second->push_frame(frame);  // waits with its audio
  auto second_text = finish(*second);
  EXPECT_EQ(second_text.wait_for(200ms), std::future_status::timeout) << "the second utterance needs the decoder";
  auto first_text = finish(*first);  // gives the decoder back
  ASSERT_EQ(first_text.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*first_text.get(), "3200");
  ASSERT_EQ(second_text.wait_for(5s), std::future_status::ready);
  auto text = second_text.get();
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(*text, "8000") << "all the audio that waited reached the decoder";
  // Between utterances no decoder is held: a third utterance of the first call gets one.
  first->push_frame(frame);
  auto again = finish(*first);
  ASSERT_EQ(again.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*again.get(), "320");
  EXPECT_EQ(engine->opened(), 3);
  first.reset();
  second.reset();
  pool.join();
}

void wait_until_flushed(CountingEngine& engine, int n) {
  for (int i = 0; i < 500 && engine.flushes() < n; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(engine.flushes(), n);
}

// The early final: the utterance ends when the voice pauses, so finish() after the speech
// pause answers from it without decoding again; when the caller goes on, the text covers the
// whole utterance, the pause included, as if it had never ended.
TEST(ThreadedRecognizer, AnEarlyFinalAnswersAtOnceAndTheCallerGoingOnKeepsAllTheAudio) {
  boost::asio::thread_pool pool(1);
  auto engine = std::make_shared<CountingEngine>(1);
  auto r = make_threaded_recognizer(pool, engine, "en");
  auto frame = media::AudioFrame::silence(16000, 1, 20ms);  // 320 samples
  for (int i = 0; i < 10; ++i) r->push_frame(frame);
  r->voice_paused();
  wait_until_flushed(*engine, 1);  // decoded during the pause, before anyone asked
  for (int i = 0; i < 5; ++i) r->push_frame(frame);  // the rest of the speech pause
  auto text = finish(*r);
  ASSERT_EQ(text.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*text.get(), "3200") << "the text as of the pause; the pause's silence is not decoded";
  EXPECT_EQ(engine->flushes(), 1) << "finish() used the early final";

  // The next utterance: the caller pauses, then goes on.
  for (int i = 0; i < 10; ++i) r->push_frame(frame);
  r->voice_paused();
  for (int i = 0; i < 5; ++i) r->push_frame(frame);
  r->voice_resumed();
  for (int i = 0; i < 5; ++i) r->push_frame(frame);
  auto whole = finish(*r);
  ASSERT_EQ(whole.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*whole.get(), "6400") << "all 20 frames, decoded again from the utterance's start";
  EXPECT_EQ(engine->flushes(), 3);

  // Cancelled while paused: nothing of it is left for the next utterance.
  r->push_frame(frame);
  r->voice_paused();
  r->cancel();
  r->push_frame(frame);
  auto fresh = finish(*r);
  ASSERT_EQ(fresh.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*fresh.get(), "320");
  r.reset();
  pool.join();
}

TEST(ThreadedRecognizer, CancelDropsTheAudioWaitingForADecoder) {
  boost::asio::thread_pool pool(1);
  auto engine = std::make_shared<CountingEngine>(1);
  auto holder = make_threaded_recognizer(pool, engine, "en");
  auto waiting = make_threaded_recognizer(pool, engine, "en");
  auto frame = media::AudioFrame::silence(16000, 1, 20ms);
  holder->push_frame(frame);
  wait_until_opened(*engine, 1);
  waiting->push_frame(frame);
  std::atomic<bool> stale_answered{false};
  waiting->finish([&](Result<std::string>) { stale_answered = true; });
  waiting->cancel();  // the caller's turn was abandoned: its buffered audio goes
  (void)finish(*holder).get();
  waiting->push_frame(frame);
  auto fresh = finish(*waiting);
  EXPECT_FALSE(stale_answered.load()) << "a cancelled finish never answers";
  ASSERT_EQ(fresh.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(*fresh.get(), "320") << "only the audio after cancel() counts";
  holder.reset();
  waiting.reset();
  pool.join();
}

}  // namespace
}  // namespace parley::agent
