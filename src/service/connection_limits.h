// How many connections the HTTP server holds open, in all and per client address, so that one
// address (a slowloris, or 1,024 idle sockets) can fill only its own share and never the whole
// server. Thread-safe: accepts happen on one loop, closes on every connection's loop.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley::service {

class ConnectionLimits {
 public:
  enum class Verdict { kAdmitted, kAddressFull, kServerFull };

  ConnectionLimits(size_t max_total, size_t max_per_address);
  // Counts one more connection from `address`, unless a cap would be passed.
  Verdict try_open(const std::string& address);
  // The connection from `address` that try_open admitted has closed.
  void close(const std::string& address);
  size_t open() const;
  size_t open_from(const std::string& address) const;

 private:
  mutable std::mutex mutex_;
  size_t max_total_;
  size_t max_per_address_;
  size_t total_ = 0;
  // Only addresses with open connections are kept, so the map is bounded by max_total.
  std::unordered_map<std::string, size_t> per_address_;
};

const char* to_string(ConnectionLimits::Verdict verdict);

}  // namespace parley::service
