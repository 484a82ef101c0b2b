#include "service/rate_limiter.h"

#include <algorithm>

namespace parley::service {

RateLimiter::RateLimiter(double rate_per_second, int burst, const Clock& clock, size_t max_addresses)
    : rate_(rate_per_second), burst_(std::max(1, burst)), clock_(clock), max_addresses_(std::max<size_t>(1, max_addresses)) {}

void RateLimiter::refill(Bucket& b, Clock::time_point now) const {
  double elapsed = std::chrono::duration<double>(now - b.last).count();
  if (elapsed > 0) b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
  b.last = now;
}

void RateLimiter::evict(Clock::time_point now) {
  // First forget addresses whose bucket has refilled (they lose nothing by being forgotten).
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    refill(it->second, now);
    it = it->second.tokens >= burst_ ? buckets_.erase(it) : std::next(it);
  }
  // Still full of busy addresses: forget arbitrary ones; a forgotten address starts again at burst.
  while (buckets_.size() >= max_addresses_) buckets_.erase(buckets_.begin());
}

bool RateLimiter::allow(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto now = clock_.now();
  auto it = buckets_.find(address);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_addresses_) evict(now);
    it = buckets_.emplace(address, Bucket{burst_, now}).first;
  } else {
    refill(it->second, now);
  }
  if (it->second.tokens < 1) return false;
  it->second.tokens -= 1;
  return true;
}

void RateLimiter::set_limits(double rate_per_second, int burst) {
  std::lock_guard lock(mutex_);
  rate_ = rate_per_second;
  burst_ = std::max(1, burst);
  for (auto& [addr, b] : buckets_) b.tokens = std::min(b.tokens, burst_);
}

}  // namespace parley::service
