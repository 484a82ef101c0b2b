#include "core/backoff.h"

#include <algorithm>

namespace parley {

Backoff::Backoff(BackoffPolicy policy, uint64_t seed) : policy_(policy), rng_(seed) {}

Millis Backoff::delay(int retry) {
  int shift = std::clamp(retry - 1, 0, 30);
  long long ceiling = std::min<long long>(policy_.cap.count(), policy_.base.count() << shift);
  if (ceiling <= 0) return Millis(0);
  std::uniform_int_distribution<long long> dist(0, ceiling);
  return Millis(dist(rng_));
}

Millis Backoff::delay(int retry, Millis server_hint) {
  return std::max(delay(retry), std::min(server_hint, Millis(policy_.cap.count() * 6)));
}

}  // namespace parley
