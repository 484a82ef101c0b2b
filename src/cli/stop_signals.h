// SIGINT/SIGTERM for commands that write a file: instead of killing the process mid-write (which
// leaves a WAV whose header was never patched, or nothing at all), the signal is taken by a
// watcher thread and handed to the command, which stops and finishes its file.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include <signal.h>

namespace parley::cli {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread, and so in every thread it starts afterwards
  // (construct before any worker thread), and calls on_signal(signo) from the watcher thread.
  explicit StopSignals(std::function<void(int)> on_signal);
  ~StopSignals();  // stops the watcher and restores the calling thread's signal mask
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  int received() const { return received_.load(); }  // 0, or the first signal taken

 private:
  std::function<void(int)> on_signal_;
  sigset_t old_mask_{};
  std::atomic<int> received_{0};
  std::atomic<bool> stopping_{false};
  std::thread watcher_;
};

const char* signal_name(int signo);

}  // namespace parley::cli
