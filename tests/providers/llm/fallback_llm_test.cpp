#include <thread>

#include <gtest/gtest.h>

#include "providers/llm/fallback_llm.h"
#include "providers/llm/script_llm.h"
#include "support/manual_event_loop.h"
#include "support/voice_fakes.h"

namespace parley::providers {
namespace {

using namespace std::chrono_literals;

using testing::FakeLlm;

class FallbackLlmTest : public ::testing::Test {
 protected:
  struct Out {
    std::string text;
    std::vector<std::string> tools;
    int done = 0;
    std::optional<Status> status;
  };
  std::unique_ptr<LlmStream> ask(LlmProvider& llm, std::string question) {
    ChatContext ctx;
    ctx.messages.push_back(ChatMessage::user(std::move(question)));
    LlmHandler h;
    h.on_text = [this](std::string d) { out.text += d; };
    h.on_tool_call = [this](ToolCall c) { out.tools.push_back(c.name); };
    h.on_done = [this](Status s) {
      ++out.done;
      out.status = s;
    };
    return llm.chat(ctx, std::move(h));
  }

  ManualClock clock;
  testing::ManualEventLoop loop{clock};
  std::shared_ptr<ScriptLlm> script = *ScriptLlm::create("");
  Out out;
};

TEST_F(FallbackLlmTest, TheFirstProviderAnswersWhenItWorks) {
  auto fake = std::make_shared<FakeLlm>(loop, std::vector<FakeLlm::Step>{FakeLlm::delta(100ms, "Hello "), FakeLlm::delta(200ms, "there."), FakeLlm::finish(300ms)});
  FallbackLlm llm(loop, {fake, script}, 1000ms);
  auto s = ask(llm, "opening hours");
  EXPECT_EQ(out.done, 0);  // never inside chat()
  loop.advance(1s);
  EXPECT_EQ(out.text, "Hello there.");
  EXPECT_EQ(out.done, 1);
  EXPECT_TRUE(*out.status);
}

TEST_F(FallbackLlmTest, AnErrorBeforeOutputHandsTheReplyToTheScript) {
  auto fake = std::make_shared<FakeLlm>(
      loop, std::vector<FakeLlm::Step>{FakeLlm::error_at(50ms, Error(ErrorCode::kUnavailable, "connection refused", true))});
  FallbackLlm llm(loop, {fake, script}, 1000ms);
  auto s = ask(llm, "what are your opening hours");
  loop.advance(100ms);
  EXPECT_EQ(out.text, Script::embedded().match("opening hours", "en").answer);
  EXPECT_EQ(out.done, 1);
  EXPECT_TRUE(*out.status);
}

// Each hand-over is told (the call's observer marks it in the console) with who failed, who
// answers and why; a reply the first provider answers tells nothing.
TEST_F(FallbackLlmTest, EachHandOverIsToldWithWhoFailedWhoAnswersAndWhy) {
  std::vector<std::string> told;
  auto on_fallback = [&](std::string_view from, std::string_view to, std::string_view reason) {
    told.push_back(std::string(from) + ">" + std::string(to) + ":" + std::string(reason));
  };
  auto down = std::make_shared<FakeLlm>(
      loop, std::vector<FakeLlm::Step>{FakeLlm::error_at(50ms, Error(ErrorCode::kUnavailable, "connection refused", true))});
  auto silent = std::make_shared<FakeLlm>(loop, std::vector<FakeLlm::Step>{FakeLlm::delta(5s, "Too late."), FakeLlm::finish(6s)});
  FallbackLlm llm(loop, {down, silent, script}, 1000ms, log::root(), on_fallback);
  auto s = ask(llm, "what are your opening hours");
  loop.advance(100ms);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0], std::string(down->name()) + ">" + std::string(silent->name()) + ":retryable_error");
  loop.advance(1100ms);
  ASSERT_EQ(told.size(), 2u);
  EXPECT_EQ(told[1], std::string(silent->name()) + ">script:timeout");
  EXPECT_EQ(out.text, Script::embedded().match("opening hours", "en").answer);

  told.clear();
  out = {};
  auto fine = std::make_shared<FakeLlm>(loop, std::vector<FakeLlm::Step>{FakeLlm::delta(10ms, "Hi."), FakeLlm::finish(20ms)});
  FallbackLlm good(loop, {fine, script}, 1000ms, log::root(), on_fallback);
  auto s2 = ask(good, "hello");
  loop.advance(100ms);
  EXPECT_EQ(out.text, "Hi.");
  EXPECT_TRUE(told.empty());
}

TEST_F(FallbackLlmTest, SilenceBeyondTheTimeoutHandsTheReplyOnAndLateChunksAreIgnored) {
  auto fake = std::make_shared<FakeLlm>(loop, std::vector<FakeLlm::Step>{FakeLlm::delta(5s, "Too late."), FakeLlm::finish(6s)});
  FallbackLlm llm(loop, {fake, script}, 1000ms);
  auto s = ask(llm, "goodbye");
  loop.advance(999ms);
  EXPECT_EQ(out.done, 0);
  loop.advance(2ms);
  EXPECT_EQ(out.done, 1);
  EXPECT_NE(out.text.find("Goodbye"), std::string::npos);
  EXPECT_EQ(out.tools, std::vector<std::string>{"end_call"});
  EXPECT_EQ(*fake->cancels, 1);
  loop.advance(10s);
  EXPECT_EQ(out.text.find("Too late"), std::string::npos);
  EXPECT_EQ(out.done, 1);
}

TEST_F(FallbackLlmTest, AnErrorAfterOutputEndsTheReplyWithoutRepeatingIt) {
  auto fake = std::make_shared<FakeLlm>(
      loop, std::vector<FakeLlm::Step>{FakeLlm::delta(10ms, "We open at "), FakeLlm::error_at(20ms, Error(ErrorCode::kProtocol, "truncated"))});
  FallbackLlm llm(loop, {fake, script}, 1000ms);
  auto s = ask(llm, "opening hours");
  loop.advance(100ms);
  EXPECT_EQ(out.text, "We open at ");
  EXPECT_EQ(out.done, 1);
  ASSERT_FALSE(*out.status);
  EXPECT_EQ(out.status->error().code, ErrorCode::kProtocol);
}

TEST_F(FallbackLlmTest, AGapBetweenChunksLongerThanTheTimeoutFails) {
  auto fake = std::make_shared<FakeLlm>(loop, std::vector<FakeLlm::Step>{FakeLlm::delta(10ms, "We "), FakeLlm::delta(5s, "open.")});
  FallbackLlm llm(loop, {fake, script}, 1000ms);
  auto s = ask(llm, "hours");
  loop.advance(2s);
  EXPECT_EQ(out.text, "We ");
  ASSERT_EQ(out.done, 1);
  EXPECT_EQ(out.status->error().code, ErrorCode::kTimeout);
}

TEST_F(FallbackLlmTest, CancelStopsEveryCallback) {
  auto fake = std::make_shared<FakeLlm>(loop, std::vector<FakeLlm::Step>{FakeLlm::delta(10ms, "a"), FakeLlm::finish(20ms)});
  FallbackLlm llm(loop, {fake, script}, 1000ms);
  auto s = ask(llm, "hours");
  loop.advance(15ms);
  EXPECT_EQ(out.text, "a");
  s->cancel();
  loop.advance(5s);
  EXPECT_EQ(out.done, 0);
  // Dropping the stream cancels too.
  auto s2 = ask(llm, "hours");
  s2.reset();
  loop.advance(5s);
  EXPECT_EQ(out.done, 0);
}

TEST_F(FallbackLlmTest, AnEmptyChainIsAnError) {
  FallbackLlm llm(loop, {}, 1000ms);
  auto s = ask(llm, "hours");
  loop.run_ready();
  ASSERT_EQ(out.done, 1);
  EXPECT_FALSE(*out.status);
}

// A provider whose worker thread keeps the handler after cancel(), as a network provider with a
// chunk already read does.
class HoldingLlm final : public LlmProvider {
 public:
  std::string_view name() const override { return "holding"; }
  std::unique_ptr<LlmStream> chat(const ChatContext&, LlmHandler handler) override {
    held = std::move(handler);
    return std::make_unique<DoneLlmStream>();
  }
  LlmHandler held;
};

// The late chunk must reach nothing of the cancelled reply; before the fix its delivery read
// the freed reply's loop reference on the provider's thread (ASan: heap-use-after-free).
TEST_F(FallbackLlmTest, AChunkArrivingAfterTheReplyIsGoneReachesNothing) {
  auto holding = std::make_shared<HoldingLlm>();
  FallbackLlm llm(loop, {holding, script}, 1000ms);
  auto s = ask(llm, "opening hours");
  loop.run_ready();
  ASSERT_TRUE(holding->held.on_text) << "the provider was never asked";
  s.reset();  // the call ends: the reply is cancelled and freed
  std::thread worker([&] {
    holding->held.on_text("late");
    holding->held.on_done({});
  });
  worker.join();
  loop.advance(2s);
  EXPECT_EQ(out.text, "");
  EXPECT_EQ(out.done, 0);
}

}  // namespace
}  // namespace parley::providers
