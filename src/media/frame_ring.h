// The agent's outgoing audio between the voice pipeline and the published track: a
// single-producer, single-consumer ring of ready 20 ms frames, with no lock on either side.
//
// One pacing clock: the consumer is the media loop's shared 20 ms frame tick
// (media/shared_frame_tick.h), which pulls one frame per tick for the track; the producer (the
// call's voice pipeline, on the call's loop) only keeps the ring topped up, a few frames ahead.
// Nothing else paces the audio and no frame crosses a mutex.
//
// Frames come in segments (one per sentence). The consumer tells the producer, through the
// listener, when a segment's first entry leaves (its transcript goes out in step with its audio,
// its reply's first frame is marked) and when its last one has left; an entry without a frame
// (a segment whose speech failed) only carries those marks. It also asks for more frames once
// the ring has drained to half, when the producer said it has more (want_room()): one wake-up of
// the producer's loop per half ring, not per frame.
//
// Barge-in is exact: pause() and clear() are atomics the consumer reads at every pull, so no
// frame leaves after the pull that follows them (within one 20 ms tick). clear() starts a new
// generation: entries of older generations are dropped unread by the consumer, and the producer
// ignores events of older generations.
//
// Threading: push(), pause(), resume(), clear(), want_room() on the producer's thread (one at a
// time); pull() on the consumer's thread (one at a time); the counters from any thread. The
// listener runs on the consumer's thread, inside pull(): it must only hand the event on (post it
// to the producer's loop). The ready hook runs on the producer's thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "media/audio_frame.h"

namespace parley::media {

// Whatever a published track sends: one 20 ms frame per pull, or nothing (silence on the wire).
class OutgoingAudio {
 public:
  virtual ~OutgoingAudio() = default;
  // The next frame to send now. Called on the media loop, once per 20 ms tick.
  virtual std::optional<AudioFrame> pull() = 0;
};

class FrameRing final : public OutgoingAudio {
 public:
  struct Event {
    enum Kind { kStarted, kFinished, kRoom } kind;
    uint64_t segment = 0;
    uint32_t generation = 0;
    bool audible = false;  // kStarted: the segment's first entry carried a frame
  };
  using Listener = std::function<void(const Event&)>;
  struct Entry {
    AudioFrame frame;  // empty: marks only
    uint64_t segment = 0;
    bool starts = false;  // the segment's first entry
    bool ends = false;    // its last
  };
  static constexpr size_t kDefaultCapacity = 16;  // 320 ms ahead

  explicit FrameRing(Listener listener = {}, size_t capacity = kDefaultCapacity);
  FrameRing(const FrameRing&) = delete;
  FrameRing& operator=(const FrameRing&) = delete;

  // Producer. false when the ring is full (nothing was taken).
  bool push(Entry entry);
  size_t free_slots() const;
  // Entries not yet pulled (stale ones included until the consumer drops them).
  size_t queued() const;
  void pause();
  void resume();
  bool paused() const { return paused_.load(std::memory_order_relaxed); }
  // Drops everything queued: a new generation. Returns it.
  uint32_t clear();
  uint32_t generation() const { return generation_.load(std::memory_order_relaxed); }
  // The producer has more: send one kRoom event once the ring has drained to half.
  void want_room();
  // Sequence number the next pushed frame gets (frames only, from 1).
  uint64_t next_frame_seq() const { return next_seq_; }
  // A consumer that sleeps while there is nothing to pull (tests' virtual-time tick) is called
  // here when there may be something again: a push into an empty ring, or resume(). The media
  // loop's tick needs none. Set before use.
  void set_ready_hook(std::function<void()> hook) { ready_hook_ = std::move(hook); }

  // Consumer.
  std::optional<AudioFrame> pull() override;

  // Any thread.
  uint64_t frames_pulled() const { return pulled_.load(std::memory_order_relaxed); }
  // The sequence number of the last frame pulled (0: none yet).
  uint64_t last_pulled_seq() const { return last_seq_.load(std::memory_order_acquire); }

 private:
  struct Slot {
    AudioFrame frame;
    uint64_t segment = 0;
    uint64_t seq = 0;  // 0 for an entry without a frame
    uint32_t generation = 0;
    bool starts = false;
    bool ends = false;
  };
  void notify(Event::Kind kind, const Slot& s, bool audible);

  Listener listener_;
  std::function<void()> ready_hook_;
  std::vector<Slot> slots_;
  // Monotonic counts; slot = count % size. head_ is the consumer's, tail_ the producer's.
  alignas(64) std::atomic<size_t> head_{0};
  alignas(64) std::atomic<size_t> tail_{0};
  std::atomic<bool> paused_{false};
  std::atomic<uint32_t> generation_{0};
  std::atomic<bool> want_room_{false};
  std::atomic<uint64_t> pulled_{0};
  std::atomic<uint64_t> last_seq_{0};
  uint64_t next_seq_ = 1;  // producer
};

}  // namespace parley::media
