// The running configuration, for what lives outside the Service but must follow its reloads
// (the server-API client for hang-up and transfer reads its key here per request, so a key
// rotated by SIGHUP reaches it). The Service sets it at start and on every applied reload.
// Thread-safe.
#pragma once

#include <memory>
#include <mutex>

#include "core/config.h"

namespace parley::service {

class ConfigSnapshot {
 public:
  explicit ConfigSnapshot(std::shared_ptr<const Config> config) : config_(std::move(config)) {}
  std::shared_ptr<const Config> get() const {
    std::lock_guard lock(mutex_);
    return config_;
  }
  void set(std::shared_ptr<const Config> config) {
    std::lock_guard lock(mutex_);
    config_ = std::move(config);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Config> config_;
};

}  // namespace parley::service
