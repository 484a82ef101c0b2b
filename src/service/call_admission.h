// Call admission: turns verified webhook events, and what the call reconciler sees on the server,
// into call sessions, exactly one per room.
//
// A participant that needs an agent — a SIP caller (kind SIP or a sip.callID attribute), or any
// participant of a room matching calls.room_patterns — starts a session for its room unless the
// room has one already, parley is draining, or calls.max_concurrent sessions run. Never the
// agent's own participant (agent.identity), nor other agents. Events may come late, twice or out
// of order (LiveKit retries; several parley front doors), so admission also remembers rooms that
// finished and participants that left, and ignores a join that arrives after either.
//
// Two sources feed it, and both end up in one place on the loop (offer()): webhooks (submit) and
// the reconciler's server snapshots (reconcile). Because both run on the loop and the room's
// call, queue entry and memories are checked there, a call the webhook and the reconciler both
// announce is admitted once, whatever the order — by construction, not by timing.
//
// At calls.max_concurrent, or while draining, a call that needs an agent is queued (call_queue.h),
// oldest first, instead of refused; when a slot frees, the oldest queued call is admitted. A
// queued call is dropped (parley_calls_abandoned_total) only when its caller leaves: a
// participant_left / room_finished webhook, or a snapshot that no longer shows the caller. A
// draining instance answers no queued call: they stay for another instance (or the next start),
// whose reconciler adopts them.
//
// The agent-identity rule for rooms the reconciler finds (orphans_of_earlier_runs_are_adopted):
// a room where a participant with agent.identity is present but this instance has no call is
//   - an orphan of an earlier run when that agent joined no later than this instance started
//     (a crashed or killed parley's agent lingers until the server drops it): its caller is
//     adopted like any caller without an agent. Our agent joins under the same identity, and
//     LiveKit replaces the older participant (DUPLICATE_IDENTITY). If that earlier instance is
//     in fact still alive (draining during a rolling restart), it is told to leave and its
//     session ends: the call is handed over, not fought over.
//   - another live instance's call when that agent joined after this instance started: left
//     alone. This keeps two instances with one identity from replacing each other's agents in
//     turn; an agent-worker mode (several processes) needs its own ownership rule here.
// Webhooks do not see who else is in the room and always admit.
//
// A session ends when its caller leaves, its room finishes, nothing happened in the room for
// calls.inactivity_timeout, the session ends itself, or a drain times out.
//
// Threading: everything runs on one event loop (`loop`), in the order events were submitted;
// the public methods may be called from any thread. The loop must outlive this object and
// keep running until it is destroyed.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"
#include "core/config.h"
#include "core/event_loop.h"
#include "livekit/webhook/webhook_event.h"
#include "service/bounded_id_set.h"
#include "service/call_queue.h"
#include "service/call_session.h"
#include "service/server_snapshot.h"

namespace parley::service {

// A call that a LiveKit agent job brings (agent.dispatch: worker): the server chose this
// process for `room` and minted `token` for the agent.
struct JobCall {
  std::string job_id;
  std::string room;
  std::string room_sid;
  std::string token;
  std::string url;  // "" = livekit.url
  std::shared_ptr<const agent::CallContinuity> continuity;  // nullptr: none
  std::function<void()> on_running;                     // the session started
  std::function<void(const std::string& error)> on_end;  // refused or ended ("" = ended normally)
};

class CallAdmission {
 public:
  CallAdmission(EventLoop& loop, std::shared_ptr<const Config> config, std::shared_ptr<CallSessionFactory> factory,
                const Clock& clock = SystemClock::instance());
  ~CallAdmission();  // stops every session (kShutdown)
  CallAdmission(const CallAdmission&) = delete;
  CallAdmission& operator=(const CallAdmission&) = delete;

  // Queues a verified, de-duplicated event.
  void submit(livekit::webhook::WebhookEvent event);
  // Runs fn on the loop after everything submitted so far was handled (tests synchronise on it
  // instead of guessing with sleeps).
  void after_queued(std::function<void()> fn);
  // Queues what the reconciler saw on the server: each caller without an agent is offered like
  // a participant_joined; queued callers no longer there are dropped.
  void reconcile(ServerSnapshot snapshot);
  // Admits a job's call under the same rules as a webhook's caller (one session per room, none
  // while draining, at most calls.max_concurrent). The caller is whoever in the room is not an
  // agent; a later participant_joined webhook fills in the record.
  void admit_job(JobCall job);
  // The server ended the job of this room (JobTermination): the call ends.
  void end_job(const std::string& job_id);
  // New calls use this configuration from now on; running calls keep theirs.
  void set_config(std::shared_ptr<const Config> config);
  // No new calls from now on (they are queued, for another instance). Running calls continue
  // until they end or `timeout` passes (then they are stopped with kDrainTimeout); then on_done
  // runs on the loop.
  void begin_drain(Millis timeout, std::function<void()> on_done);
  // Stops every session now and waits for it. Idempotent; the loop must still run the first time.
  void shutdown();

  int active() const { return active_.load(); }
  int queued() const { return queued_.load(); }
  int capacity() const { return capacity_.load(); }
  bool draining() const { return draining_.load(); }
  uint64_t sessions_started() const { return started_.load(); }

 private:
  struct Call {
    CallRecord record;
    std::shared_ptr<const Config> config;
    log::Logger logger;
    std::unique_ptr<CallSession> session;
    Clock::time_point last_activity;
    std::string job_id;                                    // "" = admitted from a webhook
    std::function<void(const std::string& error)> on_end;  // job calls: told how the call ended
  };

  // Where a call came from: the log line and metrics say which.
  enum class Source { kWebhook, kReconciler, kQueue, kJob };

  void handle(const livekit::webhook::WebhookEvent& ev);
  void on_participant_joined(const livekit::webhook::WebhookEvent& ev);
  // A participant that may need an agent, from a webhook or the reconciler.
  void offer(const livekit::webhook::WebhookEvent& joined, Source source);
  void apply_snapshot(const ServerSnapshot& snapshot);
  bool another_instance_serves(const RoomSnapshot& room) const;
  void enqueue(const livekit::webhook::WebhookEvent& joined, const std::string& reason, const std::string& why);
  void abandon(const std::string& room, const std::string& reason, const std::string& detail);
  void admit_queued();
  void queue_changed();
  void on_participant_left(const livekit::webhook::WebhookEvent& ev);
  void on_room_finished(const livekit::webhook::WebhookEvent& ev);
  bool needs_agent(const livekit::webhook::WebhookEvent& ev, const Config& config) const;
  void admit(const livekit::webhook::WebhookEvent& ev, Source source, Millis waited = Millis(0));
  // Creates and starts the session; false when it could not be created.
  bool start_call(const std::string& room, Call call, std::string join_token, std::string join_url,
                  Source source = Source::kWebhook, Millis waited = Millis(0),
                  std::shared_ptr<const agent::CallContinuity> continuity = nullptr);
  void on_job(JobCall job);
  void refuse(const livekit::webhook::WebhookEvent& ev, const std::string& reason, const std::string& detail);
  // unanswered: the session ended before anyone spoke to the caller (its join failed, or no
  // caller audio came): the caller stays eligible, and the reconciler's next round offers the
  // call again, up to kUnansweredRetries times per caller connection.
  void end_call(const std::string& room, StopReason reason, bool unanswered = false);
  void end_call_by_id(const std::string& call_id, const std::string& why);
  bool offer_again(const std::string& caller_key, const log::Logger& logger);
  void schedule_sweep();
  void sweep();
  void check_drained();
  static std::string departure_key(const livekit::webhook::WebhookEvent& ev);

  EventLoop& loop_;
  std::shared_ptr<CallSessionFactory> factory_;
  const Clock& clock_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // Loop thread only.
  std::shared_ptr<const Config> config_;
  std::unordered_map<std::string, Call> calls_;  // by room name
  BoundedIdSet finished_rooms_{4096};            // room sids (or names) that finished
  BoundedIdSet departed_{16384};                 // participants that left
  BoundedIdSet ended_callers_{16384};            // callers (departure keys) whose call ended here
  BoundedIdSet retried_callers_{16384};          // "<departure key>#<n>": the n-th retry of an unanswered call
  static constexpr int kUnansweredRetries = 2;
  CallQueue queue_;
  int64_t started_unix_ = 0;                     // when this instance started (wall, seconds)
  TimerHandle sweep_timer_;
  TimerHandle drain_timer_;
  std::function<void()> on_drained_;
  bool shut_down_ = false;

  std::atomic<int> active_{0};
  std::atomic<int> queued_{0};
  std::atomic<int> capacity_{0};
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> started_{0};
  std::atomic<bool> shutdown_done_{false};
};

}  // namespace parley::service
