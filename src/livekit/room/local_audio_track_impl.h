// The LocalAudioTrack behind Room::publish_audio. On each tick of the media loop's shared 20 ms
// frame tick the room calls send_next(), which pulls one frame from the track's source (the voice
// pipeline's FrameRing: lock-free), Opus-encodes it and hands it to the publisher
// PeerConnection. Nothing is queued here and nothing paces but that tick.
//
// set_source() may come from any thread: the new source waits in a slot under a mutex and a flag
// tells the media loop to take it, so the per-frame path reads one atomic and takes no lock.
#pragma once

#include <atomic>
#include <mutex>

#include "livekit/room/room.h"
#include "media/opus_encoder.h"

namespace parley::rtc {
class AudioTrackSender;
}

namespace parley::livekit {

class LocalAudioTrackImpl final : public LocalAudioTrack {
 public:
  // After the last voiced frame (the end of a reply, or a barge-in) this many frames of silence
  // follow before the track goes quiet: a receiver that simply stops getting packets conceals the
  // loss by stretching the last sound (libwebrtc's NetEq "expand"), which keeps the agent audibly
  // talking for a while after it stopped.
  static constexpr int kTrailingSilenceFrames = 5;

  LocalAudioTrackImpl(std::string track_id, std::unique_ptr<media::OpusEncoder> encoder);
  ~LocalAudioTrackImpl() override;

  void set_source(std::shared_ptr<media::OutgoingAudio> source) override;
  std::string sid() const override {
    std::lock_guard l(sid_mutex_);
    return sid_;
  }
  uint64_t frames_sent() const override { return sent_.load(); }
  SendIntervals send_intervals() const override;
  bool subscribed() const override { return subscribed_.load(std::memory_order_acquire); }
  void mark_subscribed() { subscribed_.store(true, std::memory_order_release); }
  // Frames the source gave that were not 20 ms of 48 kHz mono (dropped). Any thread.
  uint64_t frames_refused() const { return refused_.load(); }

  // Media loop: pull, encode and send the next frame, if the source has one.
  void send_next();
  void attach(rtc::AudioTrackSender* sender) { sender_ = sender; }
  void set_sid(std::string sid) {
    std::lock_guard l(sid_mutex_);
    sid_ = std::move(sid);
  }
  const std::string& track_id() const { return track_id_; }

 private:
  std::optional<media::AudioFrame> next_frame();

  std::string track_id_;
  mutable std::mutex sid_mutex_;  // set on the media loop, read from any thread
  std::string sid_;
  std::unique_ptr<media::OpusEncoder> encoder_;  // media loop only
  rtc::AudioTrackSender* sender_ = nullptr;     // media loop only
  // The source: pending_ (under source_mutex_) until the media loop takes it into source_.
  std::mutex source_mutex_;
  std::shared_ptr<media::OutgoingAudio> pending_source_;
  std::atomic<bool> source_changed_{false};
  std::shared_ptr<media::OutgoingAudio> source_;  // media loop only
  int trailing_silence_ = 0;                      // media loop only
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<bool> subscribed_{false};
  // Media loop writes, any thread reads: see SendIntervals.
  std::chrono::steady_clock::time_point last_send_{};
  std::array<std::atomic<uint32_t>, SendIntervals::kBuckets> intervals_{};
};

}  // namespace parley::livekit
