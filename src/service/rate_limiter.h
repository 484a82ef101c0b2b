// Token buckets per source address: `rate` requests per second on average, bursts of `burst`.
// The number of addresses remembered is bounded (full buckets are forgotten first), so a flood
// from many addresses cannot grow memory without limit. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace parley::service {

class RateLimiter {
 public:
  RateLimiter(double rate_per_second, int burst, const Clock& clock = SystemClock::instance(),
              size_t max_addresses = 65536);
  // Takes a token for this address; false when its bucket is empty.
  bool allow(const std::string& address);
  // New limits apply from now on (existing buckets keep their tokens, capped at the new burst).
  void set_limits(double rate_per_second, int burst);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  void refill(Bucket& b, Clock::time_point now) const;
  void evict(Clock::time_point now);

  std::mutex mutex_;
  double rate_;
  double burst_;
  const Clock& clock_;
  size_t max_addresses_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace parley::service
