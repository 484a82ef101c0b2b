// The WebRTC voice activity detector (GMM-based, from Debian's libwebrtc-audio-processing 0.3):
// classifies one 10, 20 or 30 ms frame of mono audio at 8, 16, 32 or 48 kHz as speech or not.
// Cheap (a few µs per frame) and stateful (its noise model adapts), so one per audio stream;
// not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "core/error.h"

namespace parley::providers {

class WebRtcVad {
 public:
  // mode: 0 (quality: most frames count as speech) … 3 (very aggressive: fewest false alarms).
  static Result<std::unique_ptr<WebRtcVad>> create(int mode = 3);
  ~WebRtcVad();
  WebRtcVad(const WebRtcVad&) = delete;
  WebRtcVad& operator=(const WebRtcVad&) = delete;

  // Whether a frame sounds like speech. The frame must be 10/20/30 ms at 8/16/32/48 kHz.
  Result<bool> is_speech(std::span<const int16_t> mono, int sample_rate);
  static bool valid_frame(int sample_rate, size_t samples);

 private:
  explicit WebRtcVad(void* handle) : handle_(handle) {}
  void* handle_;  // VadInst*
};

}  // namespace parley::providers
