// Exponential backoff with full jitter (AWS architecture blog's "full jitter": a uniform delay in
// [0, min(cap, base * 2^attempt)]), so many clients retrying at once spread out.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "core/duration.h"

namespace parley {

struct BackoffPolicy {
  int max_attempts = 3;        // total tries, the first included
  Millis base = Millis(200);   // ceiling of the first wait
  Millis cap = Millis(10'000); // no wait is longer than this
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy, uint64_t seed = std::random_device{}());
  // The wait before retry number `retry` (1 = the first retry).
  Millis delay(int retry);
  // The wait, but never shorter than what the server asked for (Retry-After).
  Millis delay(int retry, Millis server_hint);
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
};

}  // namespace parley
