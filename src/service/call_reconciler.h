// The call reconciler: the safety net under webhooks. At start, and every
// calls.reconcile_interval, it lists the server's rooms and their participants and hands the
// snapshot to CallAdmission (CallAdmission::reconcile), which adopts every caller that needs an
// agent and has none — after a restart or crash of parley, for a caller who joined while parley
// was down, for a webhook that never arrived — and drops queued callers who are gone. Admission
// decides on its own loop, so a call both a webhook and the reconciler announce is admitted once.
//
// Threading: listing blocks (HTTP to the server API), so it runs on a thread of its own and never
// on admission's loop. A failed round is logged and counted, and the next one waits longer
// (core/backoff, from the interval up to a minute); admission carries on with webhooks meanwhile.
// start()/stop()/set_config() from any thread but the reconciler's own.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "core/asio_loop.h"
#include "core/backoff.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "service/call_admission.h"
#include "service/server_snapshot.h"

namespace parley::service {

class CallReconciler {
 public:
  // Blocking: every room and its participants (taken_at is filled in by the reconciler).
  using ListServer = std::function<Result<ServerSnapshot>(const Config& config)>;

  CallReconciler(CallAdmission& admission, std::shared_ptr<const Config> config, ListServer list,
                 const Clock& clock = SystemClock::instance());
  ~CallReconciler();  // stop()
  CallReconciler(const CallReconciler&) = delete;
  CallReconciler& operator=(const CallReconciler&) = delete;

  // The first round at once, then every calls.reconcile_interval (never when it is 0).
  void start();
  // No round after this; waits for a round in progress (one API request, bounded by its timeout).
  void stop();
  // A reloaded configuration: the next round uses it (interval, keys, room rules).
  void set_config(std::shared_ptr<const Config> config);

  uint64_t rounds() const { return rounds_.load(); }
  uint64_t failures() const { return failed_rounds_.load(); }

 private:
  void schedule(Millis delay);
  void round(uint64_t generation);
  std::shared_ptr<const Config> config() const;

  CallAdmission& admission_;
  ListServer list_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Config> config_;  // under mutex_

  // Reconciler loop only.
  int consecutive_failures_ = 0;
  TimerHandle timer_;
  uint64_t generation_ = 0;  // a new schedule (start, changed interval) makes older timers moot
  bool started_ = false;

  std::atomic<uint64_t> rounds_{0};
  std::atomic<uint64_t> failed_rounds_{0};
  std::atomic<bool> stopped_{false};
  AsioLoop loop_{"reconciler"};  // last: its thread stops first
};

// Lists through LiveKit's server API (RoomService ListRooms, then ListParticipants per room),
// with a client made from config.livekit and made again when those settings change (a new key
// after SIGHUP). One attempt per request with a timeout of at most 5 s: the next round is the
// retry, and stop() never waits long.
CallReconciler::ListServer api_server_lister();

}  // namespace parley::service
