// The threading model. A fixed number of event loops runs the whole process, each on one thread;
// every call's objects live on one loop, and post() is the only way to reach them from another
// thread. Two kinds share this interface:
//   - AsioLoop: a boost::asio::io_context; network I/O (HTTP, WebSocket signal, providers).
//   - GlibLoop: a GMainContext; the media path (libnice needs GLib; DTLS, SRTP, SCTP, RTP and
//     the 20 ms pacing timers run beside it on the same thread).
// LoopPool hands out loops round-robin, so the thread count never depends on the number of calls.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace parley {

// Cancels a timer when reset or destroyed; safe from the loop's own thread only.
class TimerHandle {
 public:
  TimerHandle() = default;
  explicit TimerHandle(std::function<void()> cancel) : cancel_(std::move(cancel)) {}
  TimerHandle(TimerHandle&& o) noexcept : cancel_(std::move(o.cancel_)) { o.cancel_ = nullptr; }
  TimerHandle& operator=(TimerHandle&& o) noexcept {
    if (this != &o) {
      cancel();
      cancel_ = std::move(o.cancel_);
      o.cancel_ = nullptr;
    }
    return *this;
  }
  TimerHandle(const TimerHandle&) = delete;
  TimerHandle& operator=(const TimerHandle&) = delete;
  ~TimerHandle() { cancel(); }
  void cancel() {
    if (cancel_) {
      auto c = std::move(cancel_);
      cancel_ = nullptr;
      c();
    }
  }
  bool active() const { return static_cast<bool>(cancel_); }

 private:
  std::function<void()> cancel_;
};

class EventLoop {
 public:
  virtual ~EventLoop() = default;
  // Runs fn on the loop's thread, after what is already queued. Any thread.
  virtual void post(std::function<void()> fn) = 0;
  // Runs fn once after the delay. Call from the loop's thread; the handle cancels it, and so does
  // dropping the handle: keep it for as long as the timer should live.
  [[nodiscard]] virtual TimerHandle post_after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // True on the loop's own thread.
  virtual bool is_current() const = 0;
  virtual const std::string& name() const = 0;
};

}  // namespace parley
