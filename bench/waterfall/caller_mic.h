// bench_caller's microphone: a media::PcmSource that gives silence when nothing is queued (a
// caller's microphone never stops sending, as the Python SDK caller's does not) and notes the wall
// time the track takes the frame holding a clip's last voiced sample — the moment that frame
// goes to the encoder, where the caller's latency starts.
//
// Threading: say() and done_unix() on the call's thread; pull() on the room's media loop.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "media/pcm_source.h"

namespace parley::bench {

class CallerMic final : public media::OutgoingAudio {
 public:
  static constexpr int kFrame = 960;  // 20 ms at 48 kHz, what the track pulls

  // Queues a 48 kHz mono clip whose last sample above `level` is its last voiced one. Only while
  // nothing is queued (the previous clip was taken), so the clip's frames are counted from here.
  Status say(const media::AudioFrame& clip, int level) {
    if (clip.sample_rate != 48000 || clip.channels != 1) {
      return make_error(ErrorCode::kInvalidArgument, "CallerMic::say takes 48 kHz mono");
    }
    if (pcm_.queued() > std::chrono::milliseconds(0)) {
      return make_error(ErrorCode::kInvalidArgument, "the previous clip is still being sent");
    }
    auto s = clip.samples();
    size_t last = s.size();
    for (size_t i = s.size(); i-- > 0;) {
      if (std::abs(static_cast<int>(s[i])) > level) {
        last = i;
        break;
      }
    }
    if (last == s.size()) return make_error(ErrorCode::kInvalidArgument, "the clip has no voiced sample");
    done_ns_.store(0, std::memory_order_relaxed);
    // Nothing is queued, so the pull counter stands still until the push below.
    target_.store(taken_.load(std::memory_order_acquire) + last / kFrame + 1, std::memory_order_release);
    if (auto r = pcm_.push(clip); !r) return r;
    return pcm_.flush();
  }

  // Unix seconds the frame with the last clip's last voiced sample was taken; 0 until then.
  double done_unix() const { return static_cast<double>(done_ns_.load(std::memory_order_acquire)) / 1e9; }

  std::optional<media::AudioFrame> pull() override {
    auto f = pcm_.pull();
    if (!f) return silence_;
    if (taken_.fetch_add(1, std::memory_order_acq_rel) + 1 == target_.load(std::memory_order_acquire)) {
      auto now = std::chrono::system_clock::now().time_since_epoch();
      done_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count(), std::memory_order_release);
    }
    return f;
  }

 private:
  media::PcmSource pcm_;
  const media::AudioFrame silence_ = media::AudioFrame::silence(48000, 1, std::chrono::milliseconds(20));
  std::atomic<uint64_t> taken_{0};   // clip frames pulled so far
  std::atomic<uint64_t> target_{0};  // the value of taken_ once the last voiced frame is out
  std::atomic<int64_t> done_ns_{0};
};

}  // namespace parley::bench
