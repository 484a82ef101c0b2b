#include "livekit/room/rejoin_schedule.h"

namespace parley::livekit {

BackoffPolicy rejoin_policy(int attempts) {
  BackoffPolicy p;
  p.max_attempts = attempts;
  p.base = Millis(500);
  p.cap = Millis(10'000);
  return p;
}

RejoinSchedule::RejoinSchedule(BackoffPolicy policy) : backoff_(policy) {}
RejoinSchedule::RejoinSchedule(BackoffPolicy policy, uint64_t seed) : backoff_(policy, seed) {}

std::optional<Millis> RejoinSchedule::next_after_failure() {
  ++failed_;
  if (failed_ >= backoff_.policy().max_attempts) return std::nullopt;
  return backoff_.delay(failed_);
}

}  // namespace parley::livekit
