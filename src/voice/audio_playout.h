// The agent's outgoing audio: 20 ms frames grouped in segments (one per sentence), handed in
// order to a FrameRing (media/frame_ring.h) that the published track pulls from on the media
// loop's 20 ms tick. The playout does not pace: it keeps the ring topped up (refilled when the
// ring asks, once per half ring) and learns from the ring's events when a segment's first entry
// has left (the sentence's transcript goes out in step with its audio) and when its last one
// has. A segment may have no audio (its TTS failed): it starts and finishes when the ring
// reaches it, so its transcript still goes out in order.
//
// pause() (barge-in): no frame leaves after the consumer's next pull; resume() goes on where it
// stopped; clear() drops everything queued here and in the ring.
//
// Not thread-safe: the call's loop. The ring's events are posted to it, and dropped once the
// playout is gone or cleared since.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

#include "core/event_loop.h"
#include "media/audio_frame.h"
#include "media/frame_assembler.h"
#include "media/frame_ring.h"

namespace parley::voice {

class AudioPlayout {
 public:
  struct Handler {
    // The segment's first entry left; audible: it carried a frame (its audio starts now).
    std::function<void(uint64_t segment, bool audible)> on_segment_started;
    std::function<void(uint64_t segment)> on_segment_finished;
  };
  AudioPlayout(EventLoop& loop, int sample_rate, Handler handler);
  ~AudioPlayout();
  AudioPlayout(const AudioPlayout&) = delete;
  AudioPlayout& operator=(const AudioPlayout&) = delete;

  // What the track pulls from (20 ms frames at this playout's rate, mono).
  const std::shared_ptr<media::FrameRing>& source() const { return ring_; }

  // Appends audio (any length, this playout's rate, mono) to a segment; segments play in the
  // order they were first named.
  void push(uint64_t segment, const media::AudioFrame& audio);
  // No more audio for the segment (the rest is padded to a whole frame).
  void end_segment(uint64_t segment);

  void pause();
  void resume();
  // Drops everything queued (and pending segment callbacks).
  void clear();

  bool paused() const { return ring_->paused(); }
  // Nothing queued or pending.
  bool idle() const { return segments_.empty(); }
  // Frames of the segment already sent / queued in total so far.
  int played_frames(uint64_t segment) const;
  int total_frames(uint64_t segment) const;
  uint64_t frames_sent() const { return ring_->frames_pulled(); }

 private:
  struct Segment {
    uint64_t id;
    std::deque<media::AudioFrame> frames;  // not yet in the ring
    media::FrameAssembler assembler;
    bool ended = false;
    bool start_queued = false;  // its first entry is in the ring
    bool end_queued = false;    // its last entry is in the ring
    uint64_t first_seq = 0;     // the ring's sequence number of its first frame
    int in_ring = 0;            // frames handed to the ring
    int total = 0;
  };
  Segment* find(uint64_t id);
  const Segment* find(uint64_t id) const;
  Segment& get(uint64_t id);
  // Moves what can go into the ring, in order.
  void fill();
  void on_event(const media::FrameRing::Event& e);

  EventLoop& loop_;
  int sample_rate_;
  Handler handler_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::shared_ptr<media::FrameRing> ring_;
  std::deque<Segment> segments_;
};

}  // namespace parley::voice
