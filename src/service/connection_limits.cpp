#include "service/connection_limits.h"

#include <algorithm>

namespace parley::service {

ConnectionLimits::ConnectionLimits(size_t max_total, size_t max_per_address)
    : max_total_(std::max<size_t>(1, max_total)), max_per_address_(std::max<size_t>(1, max_per_address)) {}

ConnectionLimits::Verdict ConnectionLimits::try_open(const std::string& address) {
  std::lock_guard lock(mutex_);
  // The address's own cap first: a flooding address is told so even when the server is full.
  auto it = per_address_.find(address);
  if (it != per_address_.end() && it->second >= max_per_address_) return Verdict::kAddressFull;
  if (total_ >= max_total_) return Verdict::kServerFull;
  ++per_address_[address];
  ++total_;
  return Verdict::kAdmitted;
}

void ConnectionLimits::close(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(address);
  if (it == per_address_.end()) return;
  if (--it->second == 0) per_address_.erase(it);
  --total_;
}

size_t ConnectionLimits::open() const {
  std::lock_guard lock(mutex_);
  return total_;
}

size_t ConnectionLimits::open_from(const std::string& address) const {
  std::lock_guard lock(mutex_);
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

const char* to_string(ConnectionLimits::Verdict verdict) {
  switch (verdict) {
    case ConnectionLimits::Verdict::kAdmitted: return "admitted";
    case ConnectionLimits::Verdict::kAddressFull: return "address_cap";
    case ConnectionLimits::Verdict::kServerFull: return "server_cap";
  }
  return "unknown";
}

}  // namespace parley::service
