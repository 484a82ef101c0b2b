// Checks that the LiveKit server answers: GET / on its HTTP URL (LiveKit answers 200 "OK"),
// now and then every livekit.health_check_interval. /readyz reports the last result.
//
// Threading: the checks run on one AsioLoop; the accessors are thread-safe. start()/stop()/
// set_target() from any thread but the loop's. The loop must outlive this object.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "core/asio_loop.h"
#include "core/duration.h"

namespace parley::service {

class LiveKitHealthCheck {
 public:
  LiveKitHealthCheck(AsioLoop& loop, std::string livekit_url, Millis interval, Millis timeout);
  ~LiveKitHealthCheck();
  LiveKitHealthCheck(const LiveKitHealthCheck&) = delete;
  LiveKitHealthCheck& operator=(const LiveKitHealthCheck&) = delete;

  void start();
  // Idempotent; the loop must still run the first time.
  void stop();
  // A reloaded configuration: the next check uses these.
  void set_target(std::string livekit_url, Millis interval, Millis timeout);

  bool healthy() const { return healthy_.load(); }
  // "" when healthy; otherwise why not ("not checked yet", "connection refused to 127.0.0.1:7880").
  std::string problem() const;
  uint64_t checks() const { return checks_.load(); }

  struct State;

 private:
  void run_check(uint64_t generation);

  AsioLoop& loop_;
  std::shared_ptr<State> state_;
  std::atomic<bool> healthy_{false};
  std::atomic<uint64_t> checks_{0};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace parley::service
