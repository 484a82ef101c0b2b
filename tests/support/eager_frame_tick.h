// Stands in for the media loop's shared frame tick in tests on virtual time (or on a plain loop):
// pulls one frame every 20 ms from a FrameRing while it gives frames, and sleeps when it gives
// none; the ring's ready hook wakes it (audio came, or a pause ended), and it then pulls at once,
// never sooner than 20 ms after the previous frame. Each frame it gets goes to `on_frame`, as a
// track would send it.
//
// The real tick runs on a fixed 20 ms grid shared by every room of its media loop, so a reply's
// first frame waits up to 20 ms for it; this one starts when the audio does, which keeps the
// tests' timings about the pipeline (and not about where a grid happens to fall).
// Not thread-safe: the loop's thread (push, resume and the ticks all on it).
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "core/clock.h"
#include "core/event_loop.h"
#include "media/frame_pacer.h"
#include "media/frame_ring.h"

namespace parley::testing {

class EagerFrameTick {
 public:
  EagerFrameTick(EventLoop& loop, const Clock& clock, std::shared_ptr<media::FrameRing> ring,
                 std::function<void(const media::AudioFrame&)> on_frame)
      : loop_(loop), clock_(clock), ring_(std::move(ring)), on_frame_(std::move(on_frame)), pacer_(clock) {
    ring_->set_ready_hook([this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.lock()) schedule();
    });
    schedule();
  }
  ~EagerFrameTick() {
    timer_.cancel();
    ring_->set_ready_hook(nullptr);
  }
  EagerFrameTick(const EagerFrameTick&) = delete;
  EagerFrameTick& operator=(const EagerFrameTick&) = delete;

 private:
  void schedule() {
    if (in_tick_ || timer_.active() || ring_->queued() == 0 || ring_->paused()) return;
    if (!pacer_.running()) {
      auto now = clock_.now();
      if (now < not_before_) {
        timer_ = loop_.post_after(std::chrono::ceil<std::chrono::milliseconds>(not_before_ - now), [this] {
          timer_ = TimerHandle();
          schedule();
        });
        return;
      }
      pacer_.start();
      tick();
      return;
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(pacer_.time_until_next() + std::chrono::microseconds(999));
    timer_ = loop_.post_after(std::max(wait, std::chrono::milliseconds(0)), [this] {
      timer_ = TimerHandle();
      tick();
    });
  }

  void tick() {
    in_tick_ = true;
    const int due = pacer_.take_due();
    bool underrun = false;
    for (int i = 0; i < due; ++i) {
      auto f = ring_->pull();
      if (!f) {
        underrun = true;
        break;
      }
      not_before_ = clock_.now() + std::chrono::duration_cast<std::chrono::nanoseconds>(pacer_.frame_duration());
      on_frame_(*f);
    }
    in_tick_ = false;
    if (underrun || ring_->queued() == 0 || ring_->paused()) {
      pacer_.stop();  // asleep until the ring's hook: the schedule restarts when audio comes
      return;
    }
    schedule();
  }

  EventLoop& loop_;
  const Clock& clock_;
  std::shared_ptr<media::FrameRing> ring_;
  std::function<void(const media::AudioFrame&)> on_frame_;
  media::FramePacer pacer_;
  TimerHandle timer_;
  Clock::time_point not_before_{};
  bool in_tick_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace parley::testing
