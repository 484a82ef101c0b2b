// One 20 ms frame tick per event loop, shared by every room on that loop.
//
// Each room used to arm a timer of its own for every frame. With N rooms on a media loop that is
// N wake-ups per 20 ms, and every wake-up makes GLib walk the loop's whole source list (each
// room adds its sockets and timers to it), so the cost grew faster than N (perf on bench/rooms:
// the kernel and GLib took 29 % of the agent's CPU, parley's own code under 3 %). One shared
// tick wakes the loop once per frame and runs every subscriber in turn.
//
// The schedule is a FramePacer's: anchored, so timer jitter never accumulates into drift; after
// a late wake-up each subscriber runs once per frame that fell due (a short burst), and after a
// stall the schedule restarts from now.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "media/frame_pacer.h"

namespace parley::media {

class SharedFrameTick : public std::enable_shared_from_this<SharedFrameTick> {
 public:
  // The tick of `loop` (created on first use; it lives while some subscriber's owner holds it).
  // Any thread.
  static std::shared_ptr<SharedFrameTick> for_loop(EventLoop& loop);

  SharedFrameTick(EventLoop& loop, const Clock& clock, std::chrono::microseconds frame = std::chrono::milliseconds(20));
  ~SharedFrameTick();
  SharedFrameTick(const SharedFrameTick&) = delete;
  SharedFrameTick& operator=(const SharedFrameTick&) = delete;

  // Calls `on_frame` once per frame from the next tick on, on the loop's thread, until the handle
  // is cancelled or dropped. Subscribe on the loop's thread; cancel from any thread.
  [[nodiscard]] TimerHandle subscribe(std::function<void()> on_frame);

  size_t subscribers() const;
  uint64_t resyncs() const { return pacer_.resyncs(); }  // loop thread

 private:
  struct Subscriber {
    std::function<void()> on_frame;
    std::atomic<bool> active{true};  // false once cancelled (any thread)
  };
  void arm();
  void fire();

  EventLoop& loop_;
  FramePacer pacer_;                                  // loop thread
  TimerHandle timer_;                                 // loop thread
  bool armed_ = false;                                // loop thread
  bool in_fire_ = false;                              // loop thread
  mutable std::mutex mutex_;                          // guards subscribers_
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  std::vector<std::shared_ptr<Subscriber>> firing_;  // loop thread: the snapshot being run
};

}  // namespace parley::media
