// Checks that the LiveKit server answers: GET / on its HTTP URL (LiveKit answers 200 "OK"),
// now and then every livekit.health_check_interval. /readyz reports the last result. Each
// check also lists rooms with a token signed by parley's key and secret, so a server that
// refuses them shows in parley_livekit_auth_ok (0) before a call fails for it.
//
// Threading: the checks run on one AsioLoop; the accessors are thread-safe. start()/stop()/
// set_target() from any thread. The loop must outlive this object and its queued work.
// Lifetime: what a check's handlers touch (results, schedule) is a shared state they hold, never
// this object, so stop() only asks the loop to end the schedule and never waits: the object may
// be destroyed at once, however busy or stopped the loop is.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "core/asio_loop.h"
#include "core/duration.h"

namespace parley::service {

struct Credentials {
  std::string api_key, api_secret;  // empty: the credentials are not checked
};

class LiveKitHealthCheck {
 public:
  // ca_file: extra trusted CAs for an https:// / wss:// URL (livekit.ca_file; core/tls_client.h).
  LiveKitHealthCheck(AsioLoop& loop, std::string livekit_url, Credentials credentials, Millis interval,
                     Millis timeout, std::string ca_file = {});
  ~LiveKitHealthCheck();
  LiveKitHealthCheck(const LiveKitHealthCheck&) = delete;
  LiveKitHealthCheck& operator=(const LiveKitHealthCheck&) = delete;

  void start();
  // Ends the schedule (on the loop; a check in flight finishes into the shared state only).
  // Idempotent, never blocks.
  void stop();
  // A reloaded configuration: the next check uses these.
  void set_target(std::string livekit_url, Credentials credentials, Millis interval, Millis timeout,
                  std::string ca_file = {});

  bool healthy() const;
  // "" when healthy; otherwise why not ("not checked yet", "connection refused to 127.0.0.1:7880").
  std::string problem() const;
  uint64_t checks() const;

  struct State;

 private:
  AsioLoop& loop_;
  std::shared_ptr<State> state_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace parley::service
