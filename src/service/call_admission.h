// Call admission: turns verified webhook events into call sessions, exactly one per room.
//
// A participant that needs an agent — a SIP caller (kind SIP or a sip.callID attribute), or any
// participant of a room matching calls.room_patterns — starts a session for its room unless the
// room has one already, parley is draining, or calls.max_concurrent sessions run. Never the
// agent's own participant (agent.identity), nor other agents. Events may come late, twice or out
// of order (LiveKit retries; several parley front doors), so admission also remembers rooms that
// finished and participants that left, and ignores a join that arrives after either.
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
#include "service/call_session.h"

namespace parley::service {

class CallAdmission {
 public:
  CallAdmission(EventLoop& loop, std::shared_ptr<const Config> config, std::shared_ptr<CallSessionFactory> factory,
                const Clock& clock = SystemClock::instance());
  ~CallAdmission();  // stops every session (kShutdown)
  CallAdmission(const CallAdmission&) = delete;
  CallAdmission& operator=(const CallAdmission&) = delete;

  // Queues a verified, de-duplicated event.
  void submit(livekit::webhook::WebhookEvent event);
  // New calls use this configuration from now on; running calls keep theirs.
  void set_config(std::shared_ptr<const Config> config);
  // No new calls from now on. Running calls continue until they end or `timeout` passes (then
  // they are stopped with kDrainTimeout); then on_done runs on the loop.
  void begin_drain(Millis timeout, std::function<void()> on_done);
  // Stops every session now and waits for it. Idempotent; the loop must still run the first time.
  void shutdown();

  int active() const { return active_.load(); }
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
  };

  void handle(const livekit::webhook::WebhookEvent& ev);
  void on_participant_joined(const livekit::webhook::WebhookEvent& ev);
  void on_participant_left(const livekit::webhook::WebhookEvent& ev);
  void on_room_finished(const livekit::webhook::WebhookEvent& ev);
  bool needs_agent(const livekit::webhook::WebhookEvent& ev, const Config& config) const;
  void admit(const livekit::webhook::WebhookEvent& ev);
  void refuse(const livekit::webhook::WebhookEvent& ev, const std::string& reason, const std::string& detail);
  void end_call(const std::string& room, StopReason reason);
  void end_call_by_id(const std::string& call_id, const std::string& why);
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
  TimerHandle sweep_timer_;
  TimerHandle drain_timer_;
  std::function<void()> on_drained_;
  bool shut_down_ = false;

  std::atomic<int> active_{0};
  std::atomic<int> capacity_{0};
  std::atomic<bool> draining_{false};
  std::atomic<uint64_t> started_{0};
  std::atomic<bool> shutdown_done_{false};
};

}  // namespace parley::service
