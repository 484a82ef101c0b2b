#include "media/shared_frame_tick.h"

#include <algorithm>
#include <map>

namespace parley::media {

std::shared_ptr<SharedFrameTick> SharedFrameTick::for_loop(EventLoop& loop) {
  // Weak entries: a tick lives while rooms on its loop hold it, so a loop made later at the same
  // address (tests make many) never inherits a stale one.
  static std::mutex m;
  static std::map<EventLoop*, std::weak_ptr<SharedFrameTick>> ticks;
  std::lock_guard lock(m);
  for (auto it = ticks.begin(); it != ticks.end();) {
    it = it->second.expired() ? ticks.erase(it) : std::next(it);
  }
  auto& slot = ticks[&loop];
  auto tick = slot.lock();
  if (!tick) {
    tick = std::make_shared<SharedFrameTick>(loop, SystemClock::instance());
    slot = tick;
  }
  return tick;
}

SharedFrameTick::SharedFrameTick(EventLoop& loop, const Clock& clock, std::chrono::microseconds frame)
    : loop_(loop), pacer_(clock, frame) {}

SharedFrameTick::~SharedFrameTick() { timer_.cancel(); }

TimerHandle SharedFrameTick::subscribe(std::function<void()> on_frame) {
  auto sub = std::make_shared<Subscriber>();
  sub->on_frame = std::move(on_frame);
  {
    std::lock_guard lock(mutex_);
    subscribers_.push_back(sub);
  }
  if (!pacer_.running()) pacer_.start();
  if (!armed_ && !in_fire_) arm();  // inside fire() the tick re-arms itself when done
  std::weak_ptr<SharedFrameTick> weak = weak_from_this();
  std::weak_ptr<Subscriber> weak_sub = sub;
  return TimerHandle([weak, weak_sub] {
    auto self = weak.lock();
    auto s = weak_sub.lock();
    if (!self || !s) return;
    std::lock_guard lock(self->mutex_);
    s->active = false;
    std::erase(self->subscribers_, s);
  });
}

size_t SharedFrameTick::subscribers() const {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

void SharedFrameTick::arm() {
  armed_ = true;
  auto wait = std::chrono::ceil<std::chrono::milliseconds>(pacer_.time_until_next());
  std::weak_ptr<SharedFrameTick> weak = weak_from_this();
  timer_ = loop_.post_after(std::max(wait, std::chrono::milliseconds(1)), [weak] {
    if (auto self = weak.lock()) self->fire();
  });
}

void SharedFrameTick::fire() {
  armed_ = false;
  in_fire_ = true;
  const int due = pacer_.take_due();
  for (int i = 0; i < due; ++i) {
    {
      std::lock_guard lock(mutex_);
      firing_ = subscribers_;
    }
    for (auto& sub : firing_) {
      // Cancelled by an earlier subscriber in this same tick (a room leaving another)?
      if (sub->active.load()) sub->on_frame();
    }
    firing_.clear();
  }
  in_fire_ = false;
  if (subscribers() == 0) {
    pacer_.stop();  // idle loops do not wake up; the next subscriber restarts the schedule
    return;
  }
  arm();
}

}  // namespace parley::media
