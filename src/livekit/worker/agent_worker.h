// parley as a LiveKit agent worker: one connection to the server's /agent WebSocket
// (../shared/docs/agent-worker-protocol.md). It registers under an agent name, answers each
// AvailabilityRequest at once from a local capacity count (the server gives about 2 s), hands
// assigned jobs (room + join token) to its owner, reports each job's status, and reports
// its load in [0,1] — WS_FULL at capacity or while draining — right after registering, every
// status_interval and whenever the count changes. It pings the server and treats a missing pong
// as a dead connection; any lost connection is re-opened with backoff (core/backoff), and
// running jobs go on meanwhile (the server forgot them, so their final status is best effort).
//
// Capacity: `capacity` slots; a job holds one from the moment parley says "available" until
// finish_job(). Jobs accepted but never assigned (the server chose another worker after all)
// give their slot back after assignment_timeout.
//
// Threading: everything runs on `loop`; the public methods may be called from any thread.
// Hooks are called on the loop. stop() must be called before the loop stops.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/asio_loop.h"
#include "core/backoff.h"
#include "core/duration.h"
#include "core/log.h"

namespace parley::livekit {

struct AgentWorkerOptions {
  std::string url;         // livekit.url (ws, wss, http or https; a path prefix is kept)
  std::string api_key;     // the job tokens are signed with this key too
  std::string api_secret;
  std::string agent_name;  // dispatches name it (SIP room_config.agents, CreateDispatch)
  std::string participant_identity;  // the agent's identity in every job's room
  std::string participant_name;
  std::string version;
  int capacity = 1;                  // calls.max_concurrent
  Millis status_interval{2'000};     // UpdateWorkerStatus at least this often (SDKs: 2.5 s)
  Millis ping_interval{5'000};
  Millis pong_timeout{15'000};       // no pong for this long: the connection is dead
  Millis assignment_timeout{10'000}; // accepted, never assigned: the slot is free again
  BackoffPolicy reconnect{0, Millis(500), Millis(10'000)};
  log::Logger logger;
};

struct AgentJob {
  std::string id;           // AJ_…
  std::string dispatch_id;  // AD_…
  std::string room;
  std::string room_sid;
  std::string metadata;     // the dispatch's metadata
  std::string room_metadata;  // the room's metadata when the job was made
  std::string token;        // join token for the room, minted by the server
  std::string url;          // where to join ("" = livekit.url)
};

struct AgentWorkerHooks {
  // A job was assigned: join its room with its token. Call finish_job() when it ends.
  std::function<void(AgentJob job)> on_job;
  // The server ended a job (dispatch deleted, agent left the room): leave its room.
  std::function<void(const std::string& job_id)> on_termination;
  // Registered (again): the worker id (AW_…).
  std::function<void(const std::string& worker_id)> on_registered;
};

class AgentWorker {
 public:
  static std::unique_ptr<AgentWorker> create(AsioLoop& loop, AgentWorkerOptions options, AgentWorkerHooks hooks);
  ~AgentWorker();

  void start();
  // The job is running (the agent joined): UpdateJobStatus JS_RUNNING.
  void job_running(const std::string& job_id);
  // The job ended: UpdateJobStatus JS_SUCCESS (error "") or JS_FAILED; its slot is free.
  void finish_job(const std::string& job_id, const std::string& error);
  // Reports full at once and declines every job from now on; running jobs go on.
  void drain();
  // calls.max_concurrent changed (reload).
  void set_capacity(int capacity);
  // Closes the connection; no hook runs afterwards. Blocks until done when called off the loop.
  void stop();

  // Any thread; for /readyz and tests.
  bool registered() const;
  int jobs() const;

 private:
  AgentWorker(AsioLoop& loop, AgentWorkerOptions options, AgentWorkerHooks hooks);
  struct Impl;
  std::shared_ptr<Impl> impl_;  // held weakly by the connection's callbacks
};

}  // namespace parley::livekit
