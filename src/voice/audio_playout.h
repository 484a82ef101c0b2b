// The agent's outgoing audio: a queue of 20 ms frames grouped in segments (one per sentence),
// paced out one frame every 20 ms on the call's loop (FramePacer), with pause (barge-in: no
// further frame leaves after pause() returns), resume and clear. Tells when a segment's first
// frame leaves (the sentence's transcript goes out in step with its audio) and when its last
// frame has left. A segment may have no audio (its TTS failed): it starts and finishes when the
// queue reaches it, so its transcript still goes out in order.
// Not thread-safe: the call's loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>

#include "core/clock.h"
#include "core/event_loop.h"
#include "media/audio_frame.h"
#include "media/frame_assembler.h"
#include "media/frame_pacer.h"

namespace parley::voice {

class AudioPlayout {
 public:
  struct Handler {
    std::function<void(const media::AudioFrame&)> on_frame;
    std::function<void(uint64_t segment)> on_segment_started;
    std::function<void(uint64_t segment)> on_segment_finished;
  };
  AudioPlayout(EventLoop& loop, const Clock& clock, int sample_rate, Handler handler);
  ~AudioPlayout();

  // Appends audio (any length, this playout's rate, mono) to a segment; segments play in the
  // order they were first named.
  void push(uint64_t segment, const media::AudioFrame& audio);
  // No more audio for the segment (the rest is padded to a whole frame).
  void end_segment(uint64_t segment);

  void pause();
  void resume();
  // Drops everything queued (and pending segment callbacks).
  void clear();

  bool paused() const { return paused_; }
  // Nothing queued or pending.
  bool idle() const { return segments_.empty(); }
  // Frames of the segment already sent / queued in total so far.
  int played_frames(uint64_t segment) const;
  int total_frames(uint64_t segment) const;
  uint64_t frames_sent() const { return frames_sent_; }

 private:
  struct Segment {
    uint64_t id;
    std::deque<media::AudioFrame> frames;
    media::FrameAssembler assembler;
    bool ended = false;
    bool started = false;
    int played = 0;
    int total = 0;
  };
  Segment* find(uint64_t id);
  Segment& get(uint64_t id);
  void schedule();
  void tick();
  // Sends due frames; returns false when nothing more can play now.
  bool send_one();

  EventLoop& loop_;
  const Clock& clock_;
  int sample_rate_;
  Handler handler_;
  media::FramePacer pacer_;
  std::deque<Segment> segments_;
  bool paused_ = false;
  TimerHandle timer_;
  uint64_t frames_sent_ = 0;
  Clock::time_point not_before_{};  // the earliest the next frame may leave after a pause in audio
  bool in_tick_ = false;
};

}  // namespace parley::voice
