#include "service/agent_call_session.h"

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "agent/call_agent.h"
#include "agent/livekit_call_room.h"
#include "core/loop_watchdog.h"

namespace parley::service {

namespace {

// The process's CallControl as one call sees it: answers to requests still in flight when the
// call is over are dropped, so a hang-up finishing during shutdown cannot reach a call loop
// that is gone.
class SessionControl final : public agent::CallControl {
 public:
  explicit SessionControl(agent::CallControl& inner) : inner_(inner) {}
  void close() { *open_ = false; }
  void hang_up(const std::string& room, const std::string& identity, std::function<void(Status)> done) override {
    inner_.hang_up(room, identity, guarded(std::move(done)));
  }
  void transfer(const std::string& room, const std::string& identity, const std::string& to,
                std::function<void(Status)> done) override {
    inner_.transfer(room, identity, to, guarded(std::move(done)));
  }
  void set_room_metadata(const std::string& room, const std::string& metadata, std::function<void(Status)> done) override {
    inner_.set_room_metadata(room, metadata, guarded(std::move(done)));
  }

 private:
  std::function<void(Status)> guarded(std::function<void(Status)> done) {
    return [open = open_, done = std::move(done)](Status s) {
      if (*open) done(std::move(s));
    };
  }
  agent::CallControl& inner_;
  std::shared_ptr<std::atomic<bool>> open_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace

// Teardowns handed to call loops and not yet done: stop() never waits for its own, so the one
// wait left is the process's, off the loops, before the loops stop (wait_until_stopped).
struct AgentCallSessionFactory::Teardowns {
  std::mutex mutex;
  std::condition_variable idle;
  int pending = 0;
  void begin() {
    std::lock_guard l(mutex);
    ++pending;
  }
  void end() {
    std::lock_guard l(mutex);
    if (--pending == 0) idle.notify_all();
  }
};

namespace {

// When parley received the call (the webhook or the job), the start of its time to greeting.
std::optional<std::chrono::system_clock::time_point> received(const CallRecord& record) {
  if (record.start_time == std::chrono::system_clock::time_point{}) return std::nullopt;
  return record.start_time;
}

class AgentCallSession final : public CallSession {
 public:
  AgentCallSession(CallContext ctx, EventLoop& call_loop, LoopPool& loops,
                   std::shared_ptr<const agent::ProviderSet> providers, agent::CallControl& control,
                   std::shared_ptr<AgentCallSessionFactory::Teardowns> teardowns,
                   std::shared_ptr<agent::CallObserver> observer)
      : call_loop_(call_loop), loops_(loops), providers_(std::move(providers)), control_(control),
        teardowns_(std::move(teardowns)), state_(std::make_shared<State>()) {
    state_->ctx = std::move(ctx);
    state_->observer = std::move(observer);
  }
  ~AgentCallSession() override { stop(StopReason::kShutdown); }

  void start() override {
    const auto admitted = SystemClock::instance().wall();
    call_loop_.post([state = state_, &loops = loops_, &loop = call_loop_, providers = providers_, &control = control_,
                     admitted] {
      if (state->stopping()) return;
      const auto& ctx = state->ctx;
      agent::LiveKitCallRoomOptions ro;
      ro.room = ctx.record.room;
      ro.caller_identity = ctx.record.caller_identity;
      ro.token = ctx.join_token;
      ro.url = ctx.join_url;
      auto room = std::make_unique<agent::LiveKitCallRoom>(loop, loops, *ctx.config, ro, ctx.logger);
      std::weak_ptr<State> weak = state;
      state->control = std::make_unique<SessionControl>(control);
      state->agent = std::make_unique<agent::CallAgent>(
          loop, SystemClock::instance(), ctx.config, ctx.record.room,
          agent::CallAgentDeps{std::move(room), state->control.get(), providers, ctx.continuity, state->observer,
                               received(ctx.record), admitted},
          ctx.logger, [weak](const std::string& reason) {
            // The agent ended the call itself: tell admission, which stops this session.
            auto s = weak.lock();
            if (!s) return;
            std::lock_guard l(s->mutex);
            if (!s->stopped && s->ctx.end) s->ctx.end(reason);
          });
      state->agent->start();
    });
  }

  // Deferred: the agent is stopped and destroyed by a task on the call's loop (at once when that
  // is the calling loop); stop() returns without waiting for it (admission's loop must not block
  // on a call's). Nothing reaches admission afterwards: ctx.end is off from here on, and answers
  // of hang-ups still in flight are dropped (SessionControl::close).
  void stop(StopReason reason) override {
    {
      std::lock_guard l(state_->mutex);
      if (state_->stopped) return;
      state_->stopped = true;
    }
    teardowns_->begin();
    auto finish = [state = state_, why = std::string(to_string(reason)), teardowns = teardowns_] {
      if (state->agent) {
        state->agent->stop(why);
        state->agent.reset();
      }
      if (state->control) state->control->close();
      teardowns->end();
    };
    if (call_loop_.is_current()) return finish();
    call_loop_.post(std::move(finish));
  }

 private:
  struct State {
    std::mutex mutex;
    bool stopped = false;  // stop() was called: no ctx.end any more
    CallContext ctx;
    std::shared_ptr<agent::CallObserver> observer;
    std::unique_ptr<SessionControl> control;  // call loop only; outlives the agent
    std::unique_ptr<agent::CallAgent> agent;    // call loop only
    bool stopping() {
      std::lock_guard l(mutex);
      return stopped;
    }
  };

  EventLoop& call_loop_;
  LoopPool& loops_;
  std::shared_ptr<const agent::ProviderSet> providers_;
  agent::CallControl& control_;
  std::shared_ptr<AgentCallSessionFactory::Teardowns> teardowns_;
  std::shared_ptr<State> state_;
};

}  // namespace

AgentCallSessionFactory::AgentCallSessionFactory(LoopPool& loops, std::shared_ptr<const agent::ProviderSet> providers,
                                                 agent::CallControl& control, CallObserverFactory observers)
    : loops_(loops),
      providers_(std::move(providers)),
      control_(control),
      observers_(std::move(observers)),
      teardowns_(std::make_shared<Teardowns>()) {}

AgentCallSessionFactory::~AgentCallSessionFactory() = default;

bool AgentCallSessionFactory::wait_until_stopped(std::chrono::milliseconds limit) {
  loop_watchdog::blocking_call("AgentCallSessionFactory::wait_until_stopped waits for the calls' loops");
  std::unique_lock l(teardowns_->mutex);
  if (teardowns_->idle.wait_for(l, limit, [&] { return teardowns_->pending == 0; })) return true;
  log::root().warn("call sessions still stopping on their loops", {{"pending", teardowns_->pending}});
  return false;
}

std::unique_ptr<CallSession> AgentCallSessionFactory::create(CallContext ctx) {
  if (!ctx.config) return nullptr;
  auto& loop = loops_.next_io();
  auto observer = observers_ ? observers_(ctx) : nullptr;
  return std::make_unique<AgentCallSession>(std::move(ctx), loop, loops_, providers_, control_, teardowns_,
                                            std::move(observer));
}

}  // namespace parley::service
