#include "media/frame_ring.h"

namespace parley::media {

FrameRing::FrameRing(Listener listener, size_t capacity)
    : listener_(std::move(listener)), slots_(capacity < 2 ? 2 : capacity) {}

bool FrameRing::push(Entry entry) {
  const size_t t = tail_.load(std::memory_order_relaxed);
  const size_t h = head_.load(std::memory_order_acquire);
  if (t - h >= slots_.size()) return false;
  Slot& s = slots_[t % slots_.size()];
  s.seq = entry.frame.empty() ? 0 : next_seq_++;
  s.frame = std::move(entry.frame);
  s.segment = entry.segment;
  s.generation = generation_.load(std::memory_order_relaxed);
  s.starts = entry.starts;
  s.ends = entry.ends;
  tail_.store(t + 1, std::memory_order_release);
  if (t == h && ready_hook_ && !paused()) ready_hook_();
  return true;
}

size_t FrameRing::free_slots() const { return slots_.size() - queued(); }

size_t FrameRing::queued() const {
  return tail_.load(std::memory_order_acquire) - head_.load(std::memory_order_acquire);
}

void FrameRing::pause() { paused_.store(true, std::memory_order_release); }

void FrameRing::resume() {
  if (!paused_.exchange(false, std::memory_order_acq_rel)) return;
  if (ready_hook_ && queued() > 0) ready_hook_();
}

uint32_t FrameRing::clear() {
  want_room_.store(false, std::memory_order_release);  // nothing of the old generation wants room
  return generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
}

void FrameRing::want_room() { want_room_.store(true, std::memory_order_release); }

void FrameRing::notify(Event::Kind kind, const Slot& s, bool audible) {
  if (listener_) listener_(Event{kind, s.segment, s.generation, audible});
}

std::optional<AudioFrame> FrameRing::pull() {
  for (;;) {
    if (paused_.load(std::memory_order_acquire)) return std::nullopt;
    const size_t h = head_.load(std::memory_order_relaxed);
    if (h == tail_.load(std::memory_order_acquire)) return std::nullopt;
    Slot& s = slots_[h % slots_.size()];
    std::optional<AudioFrame> out;
    if (s.generation == generation_.load(std::memory_order_acquire)) {
      const bool audible = !s.frame.empty();
      if (s.starts) notify(Event::kStarted, s, audible);
      if (audible) {
        out = std::move(s.frame);
        pulled_.fetch_add(1, std::memory_order_relaxed);
        last_seq_.store(s.seq, std::memory_order_release);
      }
      if (s.ends) notify(Event::kFinished, s, false);
    }
    s.frame = AudioFrame{};  // a stale entry's audio is freed here, unread
    head_.store(h + 1, std::memory_order_release);
    if (queued() <= slots_.size() / 2 && want_room_.load(std::memory_order_acquire) &&
        want_room_.exchange(false, std::memory_order_acq_rel)) {
      if (listener_) listener_(Event{Event::kRoom, 0, generation_.load(std::memory_order_relaxed), false});
    }
    if (out) return out;
  }
}

}  // namespace parley::media
