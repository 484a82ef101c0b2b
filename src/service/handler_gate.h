// Makes "no callback runs after stop" a guarantee rather than a timing hope: every call into
// the owner's callbacks passes the gate, and close() waits for the calls inside to leave and lets
// no new one in. Connections may outlive their server (a loop that no longer runs keeps its
// queued handlers until it is destroyed); through the gate they can no longer reach it.
// Thread-safe; close() must not be called from inside a passage (it would wait for itself).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace parley::service {

class HandlerGate {
 public:
  // Runs fn() and returns true, or returns false without running it once the gate is closed.
  template <class F>
  bool pass(F&& fn) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return false;
      ++inside_;
    }
    struct Leave {
      HandlerGate& g;
      ~Leave() {
        std::lock_guard lock(g.mutex_);
        if (--g.inside_ == 0) g.cv_.notify_all();
      }
    } leave{*this};
    fn();
    return true;
  }

  // No passage starts after this; returns once none is running.
  void close() {
    std::unique_lock lock(mutex_);
    closed_ = true;
    cv_.wait(lock, [&] { return inside_ == 0; });
  }

  bool closed() const {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  size_t inside_ = 0;
  bool closed_ = false;
};

}  // namespace parley::service
