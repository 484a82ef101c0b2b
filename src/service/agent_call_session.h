// The voice agent as parley serve's call session: one CallAgent per admitted call, in the
// call's LiveKit room (LiveKitCallRoom), with the process's shared engines (ProviderSet) and
// hang-up/transfer through the server API (CallControl).
//
// Threading: CallAdmission calls start() and stop() on its loop. The agent lives on a loop of
// its own (the call's loop, taken round-robin from the process's LoopPool): start() creates it
// there; stop() has it stopped and destroyed there, without waiting (a loop never waits on
// another). The process waits for those teardowns once, off the loops, before it stops them
// (wait_until_stopped). When the agent ends by itself (the caller hung up, the agent said
// goodbye), ctx.end tells admission — never after stop().
#pragma once

#include <functional>
#include <memory>

#include "agent/call_observer.h"
#include "agent/call_room.h"
#include "agent/provider_set.h"
#include "core/loop_pool.h"
#include "service/call_session.h"

namespace parley::service {

// Gives each call its watcher (the operator console), or nullptr; called on admission's loop.
using CallObserverFactory = std::function<std::shared_ptr<agent::CallObserver>(const CallContext& ctx)>;

class AgentCallSessionFactory final : public CallSessionFactory {
 public:
  // `loops` and `control` outlive the factory and every session it makes.
  AgentCallSessionFactory(LoopPool& loops, std::shared_ptr<const agent::ProviderSet> providers, agent::CallControl& control,
                          CallObserverFactory observers = nullptr);
  ~AgentCallSessionFactory() override;
  std::unique_ptr<CallSession> create(CallContext ctx) override;
  bool wait_until_stopped(std::chrono::milliseconds limit) override;

  struct Teardowns;

 private:
  LoopPool& loops_;
  std::shared_ptr<const agent::ProviderSet> providers_;
  agent::CallControl& control_;
  CallObserverFactory observers_;
  std::shared_ptr<Teardowns> teardowns_;
};

}  // namespace parley::service
