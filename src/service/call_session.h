// One call session per room: what parley runs for a caller. The voice agent
// (agent/agent_call_session.h) is the real one; LoggingCallSession only logs (parley serve
// --no-agent, for tests of admission alone).
//
// Threading: CallAdmission creates, starts and stops sessions on its own event loop (ctx.loop);
// a session may do its work elsewhere but must call ctx.end from any thread when it finishes
// by itself (the agent hung up), never after stop() returned.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/call_continuity.h"
#include "core/config.h"
#include "core/event_loop.h"
#include "core/log.h"
#include "livekit/webhook/webhook_event.h"
#include "service/call_record.h"

namespace parley::service {

enum class StopReason {
  kCallerLeft,     // the caller's participant left (or its connection was aborted)
  kRoomFinished,   // room_finished
  kInactive,       // no event for the room within calls.inactivity_timeout
  kDrainTimeout,   // parley is shutting down and calls.drain_timeout passed
  kShutdown,       // parley exits at once
  kEnded,          // the session ended by itself
};

std::string_view to_string(StopReason r);

struct CallContext {
  CallRecord record;
  std::shared_ptr<const Config> config;  // the configuration this call runs with (reloads don't change it)
  log::Logger logger;                    // carries call_id and room
  EventLoop* loop = nullptr;             // where start/stop/on_event are called
  // Ends the call from the session's side; safe from any thread, at most once matters.
  std::function<void(std::string reason)> end;
  // A call from a LiveKit agent job (agent.dispatch: worker): join with the job's token, minted
  // by the server, at join_url ("" = livekit.url). Empty: the agent mints its own token.
  std::string join_token;
  std::string join_url;
  // Worker mode: the call's record in the room's metadata, and whether it is taken over.
  std::shared_ptr<const agent::CallContinuity> continuity;
};

class CallSession {
 public:
  virtual ~CallSession() = default;
  // Begin: join the room, greet the caller... Must not block.
  virtual void start() = 0;
  // End: leave the room and release everything. Called once; the session is destroyed after.
  virtual void stop(StopReason reason) = 0;
  // Later webhook events of the same room (tracks, other participants), in order.
  virtual void on_event(const livekit::webhook::WebhookEvent& event) { (void)event; }
  // The agent's own participant joined the room (its id is in the record from now on).
  virtual void on_agent_joined(const std::string& participant_sid) { (void)participant_sid; }
};

class CallSessionFactory {
 public:
  virtual ~CallSessionFactory() = default;
  virtual std::unique_ptr<CallSession> create(CallContext ctx) = 0;
  // Blocks (never on a loop) until every stopped session has finished its teardown, or `limit`
  // passed (false). The service calls it after admission's shutdown and before the loops stop.
  virtual bool wait_until_stopped(std::chrono::milliseconds limit) {
    (void)limit;
    return true;
  }
};

// Stands in for the voice agent: logs what a session would do.
class LoggingCallSession final : public CallSession {
 public:
  explicit LoggingCallSession(CallContext ctx) : ctx_(std::move(ctx)) {}
  void start() override;
  void stop(StopReason reason) override;
  void on_event(const livekit::webhook::WebhookEvent& event) override;
  void on_agent_joined(const std::string& participant_sid) override;

 private:
  CallContext ctx_;
};

class LoggingCallSessionFactory final : public CallSessionFactory {
 public:
  std::unique_ptr<CallSession> create(CallContext ctx) override {
    return std::make_unique<LoggingCallSession>(std::move(ctx));
  }
};

}  // namespace parley::service
