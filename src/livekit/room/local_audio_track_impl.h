// The LocalAudioTrack behind Room::publish_audio: a bounded, mutex-guarded queue of 20 ms
// 48 kHz mono frames filled by push() from any thread and drained by the room's 20 ms pump on
// the media loop, which Opus-encodes each frame and hands it to the publisher PeerConnection.
//
// Two locks, so the media loop never waits for a producer's work: push() resamples and cuts
// frames under producer_mutex_ and takes the queue's mutex_ only to append them; the pump takes
// mutex_ only, and the producer's state (to pad an utterance's tail) only if it is free at once.
// Lock order: producer_mutex_, then mutex_.
#pragma once

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>

#include "livekit/room/room.h"
#include "media/frame_assembler.h"
#include "media/opus_encoder.h"
#include "media/resampler.h"

namespace parley::rtc {
class AudioTrackSender;
}

namespace parley::livekit {

class LocalAudioTrackImpl final : public LocalAudioTrack {
 public:
  static constexpr size_t kMaxQueuedFrames = 1500;  // 30 s
  // After the last voiced frame (the end of a reply, or clear() at a barge-in) this many frames
  // of silence follow before the track goes quiet: a receiver that simply stops getting packets
  // conceals the loss by stretching the last sound (libwebrtc's NetEq "expand"), which keeps the
  // agent audibly talking for a while after it stopped.
  static constexpr int kTrailingSilenceFrames = 5;

  LocalAudioTrackImpl(std::string track_id, std::unique_ptr<media::OpusEncoder> encoder);
  ~LocalAudioTrackImpl() override;

  Status push(const media::AudioFrame& frame) override;
  std::chrono::milliseconds queued() const override;
  void clear() override;
  std::string sid() const override {
    std::lock_guard l(sid_mutex_);
    return sid_;
  }
  uint64_t frames_sent() const override { return sent_.load(); }
  SendIntervals send_intervals() const override;

  // Media loop: encode and send the next frame, if any is queued.
  void send_next();
  void attach(rtc::AudioTrackSender* sender) { sender_ = sender; }
  void set_sid(std::string sid) {
    std::lock_guard l(sid_mutex_);
    sid_ = std::move(sid);
  }
  const std::string& track_id() const { return track_id_; }

 private:
  std::optional<media::AudioFrame> pop();

  std::string track_id_;
  mutable std::mutex sid_mutex_;  // set on the media loop, read from any thread
  std::string sid_;
  std::unique_ptr<media::OpusEncoder> encoder_;  // media loop only
  rtc::AudioTrackSender* sender_ = nullptr;     // media loop only
  // The producer's state: resampling and cutting into frames.
  mutable std::mutex producer_mutex_;
  std::unique_ptr<media::Resampler> resampler_;
  media::FrameAssembler assembler_{48000, 1};
  std::chrono::steady_clock::time_point last_push_{};
  // The queue.
  mutable std::mutex mutex_;
  std::deque<media::AudioFrame> frames_;
  int trailing_silence_ = 0;  // silence frames still to send (guarded by mutex_)
  std::atomic<uint64_t> sent_{0};
  // Media loop writes, any thread reads: see SendIntervals.
  std::chrono::steady_clock::time_point last_send_{};
  std::array<std::atomic<uint32_t>, SendIntervals::kBuckets> intervals_{};
};

}  // namespace parley::livekit
