#include "providers/llm/fallback_llm.h"

#include "core/metrics.h"

namespace parley::providers {

namespace {

metrics::CounterFamily& fallback_counter() {
  static auto& f = metrics::registry().counter("parley_llm_fallbacks_total",
                                               "LLM replies handed to the next provider in the chain",
                                               {"provider", "reason"});
  return f;
}

// One reply across the chain. Lives while the stream or a pending callback holds it.
class Attempts : public std::enable_shared_from_this<Attempts> {
 public:
  Attempts(EventLoop& loop, const std::vector<std::shared_ptr<LlmProvider>>& chain, std::chrono::milliseconds timeout,
           ChatContext context, LlmHandler handler, log::Logger logger, FallbackLlm::OnFallback on_fallback)
      : loop_(loop), chain_(chain), timeout_(timeout), context_(std::move(context)), handler_(std::move(handler)),
        logger_(std::move(logger)), on_fallback_(std::move(on_fallback)) {}

  void start(size_t index) {
    index_ = index;
    started_output_ = false;
    const auto& provider = chain_[index];
    LlmHandler h;
    std::weak_ptr<Attempts> weak = weak_from_this();
    size_t attempt = ++attempt_;
    // Runs on the provider's thread, maybe after this reply was cancelled and freed: it holds the
    // loop itself and reaches the reply only through the weak handle, on the loop.
    auto deliver = [loop = &loop_, weak, attempt](auto fn) {
      loop->post([weak, attempt, fn = std::move(fn)]() mutable {
        if (auto self = weak.lock(); self && !self->finished_ && self->attempt_ == attempt) fn(*self);
      });
    };
    h.on_text = [deliver](std::string delta) {
      deliver([delta = std::move(delta)](Attempts& a) mutable { a.output([&] { if (a.handler_.on_text) a.handler_.on_text(std::move(delta)); }); });
    };
    h.on_tool_call = [deliver](ToolCall call) {
      deliver([call = std::move(call)](Attempts& a) mutable { a.output([&] { if (a.handler_.on_tool_call) a.handler_.on_tool_call(std::move(call)); }); });
    };
    h.on_done = [deliver](Status status) {
      deliver([status = std::move(status)](Attempts& a) mutable { a.done(std::move(status)); });
    };
    arm_timer();
    stream_ = provider->chat(context_, std::move(h));
  }

  void begin() {
    if (chain_.empty()) return finish(make_error(ErrorCode::kInvalidArgument, "no LLM provider is configured"));
    start(0);
  }

  void cancel() {
    finished_ = true;
    timer_.cancel();
    if (stream_) stream_->cancel();
  }

 private:
  template <class F>
  void output(F&& f) {
    started_output_ = true;
    arm_timer();  // the timeout now bounds the gap between chunks
    f();
  }

  void arm_timer() {
    std::weak_ptr<Attempts> weak = weak_from_this();
    size_t attempt = attempt_;
    timer_ = loop_.post_after(timeout_, [weak, attempt] {
      if (auto self = weak.lock(); self && !self->finished_ && self->attempt_ == attempt) {
        self->fail(Error(ErrorCode::kTimeout, "no answer within " + std::to_string(self->timeout_.count()) + " ms", true),
                   "timeout");
      }
    });
  }

  void done(Status status) {
    if (status) return finish({});
    fail(status.error(), status.error().retryable ? "retryable_error" : "error");
  }

  void fail(const Error& error, const char* reason) {
    const auto& provider = chain_[index_];
    if (stream_) stream_->cancel();
    if (!started_output_ && index_ + 1 < chain_.size()) {
      logger_.warn("llm failed; the next provider answers",
                   {{"provider", std::string(provider->name())}, {"next", std::string(chain_[index_ + 1]->name())},
                    {"error", error.to_string()}});
      fallback_counter().with({std::string(provider->name()), reason}).inc();
      if (on_fallback_) on_fallback_(provider->name(), chain_[index_ + 1]->name(), reason);
      start(index_ + 1);
      return;
    }
    logger_.warn("llm failed", {{"provider", std::string(provider->name())}, {"error", error.to_string()},
                                {"partial", started_output_}});
    finish(tl::unexpected(error));
  }

  void finish(Status status) {
    finished_ = true;
    timer_.cancel();
    if (handler_.on_done) handler_.on_done(std::move(status));
  }

  EventLoop& loop_;
  std::vector<std::shared_ptr<LlmProvider>> chain_;
  std::chrono::milliseconds timeout_;
  ChatContext context_;
  LlmHandler handler_;
  log::Logger logger_;
  FallbackLlm::OnFallback on_fallback_;
  size_t index_ = 0;
  size_t attempt_ = 0;
  bool started_output_ = false;
  bool finished_ = false;
  std::unique_ptr<LlmStream> stream_;
  TimerHandle timer_;
};

class FallbackStream final : public LlmStream {
 public:
  explicit FallbackStream(std::shared_ptr<Attempts> a) : attempts_(std::move(a)) {}
  ~FallbackStream() override { cancel(); }
  void cancel() override {
    if (attempts_) attempts_->cancel();
    attempts_.reset();
  }

 private:
  std::shared_ptr<Attempts> attempts_;
};

}  // namespace

FallbackLlm::FallbackLlm(EventLoop& loop, std::vector<std::shared_ptr<LlmProvider>> chain,
                         std::chrono::milliseconds timeout, log::Logger logger, OnFallback on_fallback)
    : loop_(loop), chain_(std::move(chain)), timeout_(timeout), logger_(std::move(logger)),
      on_fallback_(std::move(on_fallback)) {}

std::unique_ptr<LlmStream> FallbackLlm::chat(const ChatContext& context, LlmHandler handler) {
  auto attempts = std::make_shared<Attempts>(loop_, chain_, timeout_, context, std::move(handler), logger_, on_fallback_);
  // Start on the loop's next turn, so no callback ever runs inside chat().
  loop_.post([weak = std::weak_ptr<Attempts>(attempts)] {
    if (auto a = weak.lock()) a->begin();
  });
  return std::make_unique<FallbackStream>(attempts);
}

}  // namespace parley::providers
