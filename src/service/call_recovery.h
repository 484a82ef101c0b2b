// Calls that survive a dead worker (agent.dispatch: worker; docs/scaling.md "When a worker
// dies"). The open-source LiveKit server does not re-dispatch the job of a worker that died, and
// it keeps the dead agent's participant in the room for about 15 s (its ICE timeouts), so no
// webhook says anything in time. Every worker therefore watches the others:
//
//   - Each call's agent records in its room's metadata which process runs it (instance id, the
//     URL of its /healthz, the job id) and the turns so far (agent/call_continuity.h).
//   - Every agent.recovery_interval each worker lists the server's rooms (one request) and asks
//     the /healthz of every other owner it finds whether it is still the same process (the
//     Parley-Instance header). A refused connection or another instance means dead at once; a
//     timeout counts only when the next round times out as well (a busy machine is not dead).
//   - For a room whose owner is dead and whose caller is still there (a call already over has
//     nothing to recover), it creates an agent dispatch through the API with the metadata
//     {"parley_recover": <the lost job id>}, unless such a dispatch was made in the last 10 s.
//     The server gives that job to a worker by load, and the agent that joins says it lost the
//     caller for a moment and goes on from the recorded turns. A call still not taken over 10 s
//     later (the job found no worker with room) is re-dispatched the same way.
//
// Exactly one new agent, however many workers notice at once: every worker that sees the loss
// may create a dispatch, but the worker that is given a recovery job first lists the room's
// dispatches (decide()) and runs it only when its dispatch is the earliest one for that loss
// made within 5 s before it (the room's node stamps created_at; ties go to the smaller id);
// every other recovery job ends
// without joining. Before dispatching, the dead agent's participant is removed (it would linger
// for about 15 s). As a last guard the agent identity is the same in every job,
// and the server keeps only the newest participant of an identity (DUPLICATE_IDENTITY), so a
// room never holds two parley agents.
//
// Threading: the listing, probes and API requests block, so they run on a thread of their own.
// start()/stop()/decide() from any other thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/asio_loop.h"
#include "core/config.h"
#include "livekit/api/twirp_client.h"

namespace parley::service {

// The dispatch metadata key that marks a recovery job.
inline constexpr const char* kRecoverKey = "parley_recover";
// The header /healthz answers with: which process this is.
inline constexpr const char* kInstanceHeader = "Parley-Instance";

// The lost job a dispatch's metadata names ("" for an ordinary dispatch).
std::string recovery_key(const std::string& dispatch_metadata);

class CallRecovery {
 public:
  // `instance`: this process's id (its own calls are never recovered by itself).
  CallRecovery(std::shared_ptr<const Config> config, std::string instance);
  ~CallRecovery();  // stop()
  CallRecovery(const CallRecovery&) = delete;
  CallRecovery& operator=(const CallRecovery&) = delete;

  void start();
  void stop();
  void set_config(std::shared_ptr<const Config> config);
  // A recovery job was assigned to this worker: `then(true)` when its dispatch is the one that
  // takes the call over, `then(false)` when an earlier one does. Called on the recovery thread.
  void decide(const std::string& room, const std::string& dispatch_id, const std::string& key,
              std::function<void(bool take)> then);

  uint64_t rounds() const { return rounds_.load(); }

 private:
  void schedule(Millis delay);
  void round();
  // Whether the process named by `owner` still runs; cached per round in `seen`.
  bool owner_alive(const nlohmann::json& owner, std::map<std::string, bool>& seen);
  void recover(const std::string& room, const std::string& key, const std::string& dead_instance);
  void remove_lost_agent(livekit::TwirpClient& twirp, const std::string& room, const std::string& key);
  livekit::TwirpClient* client();
  bool recently_handled(const std::string& key) const;
  void handled(const std::string& key) { handled_[key] = std::chrono::steady_clock::now(); }
  std::shared_ptr<const Config> config() const;

  std::string instance_;
  mutable std::mutex mutex_;
  std::shared_ptr<const Config> config_;  // under mutex_

  // Recovery thread only.
  std::unique_ptr<livekit::TwirpClient> client_;
  std::string client_url_, client_key_, client_secret_;
  std::map<std::string, std::chrono::steady_clock::time_point> handled_;  // lost job -> when dealt with
  std::map<std::string, int> timeouts_;      // instance -> rounds in a row its probe timed out
  TimerHandle timer_;

  std::atomic<uint64_t> rounds_{0};
  std::atomic<bool> stopped_{false};
  AsioLoop loop_{"recovery"};  // last: its thread stops first
};

}  // namespace parley::service
