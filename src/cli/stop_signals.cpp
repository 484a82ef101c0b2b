#include "cli/stop_signals.h"

#include <pthread.h>

namespace parley::cli {
namespace {

sigset_t stop_set() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  return s;
}

}  // namespace

StopSignals::StopSignals(std::function<void(int)> on_signal) : on_signal_(std::move(on_signal)) {
  sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
  watcher_ = std::thread([this, set] {
    for (;;) {
      int signo = 0;
      if (sigwait(&set, &signo) != 0) continue;
      if (stopping_) return;  // the destructor's wake-up
      int none = 0;
      received_.compare_exchange_strong(none, signo);
      if (on_signal_) on_signal_(signo);
    }
  });
}

StopSignals::~StopSignals() {
  stopping_ = true;
  pthread_kill(watcher_.native_handle(), SIGTERM);  // blocked there, so sigwait takes it
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

const char* signal_name(int signo) {
  switch (signo) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default: return "a signal";
  }
}

}  // namespace parley::cli
