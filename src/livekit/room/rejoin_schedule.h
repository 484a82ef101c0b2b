// When a room tries to rejoin in full after the server went away (a restart, a failed resume):
// the first try at once, each further one after an exponential backoff with full jitter
// (core/backoff), so many rooms of one parley rejoining a restarted server spread out instead
// of all knocking every 0.5 s; after max_attempts tries the room gives up.
#pragma once

#include <optional>

#include "core/backoff.h"

namespace parley::livekit {

// livekit.rejoin_attempts tries, waits growing from 0.5 s up to 10 s.
BackoffPolicy rejoin_policy(int attempts);

class RejoinSchedule {
 public:
  explicit RejoinSchedule(BackoffPolicy policy);
  RejoinSchedule(BackoffPolicy policy, uint64_t seed);
  // A rejoin begins: its first try goes out now.
  void start() { failed_ = 0; }
  // A try failed: the wait before the next one, or nullopt when every try is spent.
  std::optional<Millis> next_after_failure();
  int failed() const { return failed_; }

 private:
  Backoff backoff_;
  int failed_ = 0;
};

}  // namespace parley::livekit
