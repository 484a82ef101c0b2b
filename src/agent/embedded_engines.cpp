#include "agent/embedded_engines.h"

#include "providers/vad/webrtc_vad.h"
#include "voice/energy_vad.h"

namespace parley::agent {

namespace {

class WebRtcVadDetector final : public voice::VoiceActivityDetector {
 public:
  explicit WebRtcVadDetector(std::unique_ptr<providers::WebRtcVad> vad) : vad_(std::move(vad)) {}
  Result<bool> is_speech(const media::AudioFrame& frame) override {
    auto mono = media::to_mono(frame);
    if (vad_ && providers::WebRtcVad::valid_frame(mono.sample_rate, mono.data.size())) {
      auto r = vad_->is_speech(mono.samples(), mono.sample_rate);
      if (r) {
        (void)fallback_.is_speech(mono);  // keep its noise estimate current
        return r;
      }
    }
    return fallback_.is_speech(mono);
  }

 private:
  std::unique_ptr<providers::WebRtcVad> vad_;
  voice::EnergyVad fallback_;
};

}  // namespace

std::unique_ptr<voice::VoiceActivityDetector> make_webrtc_vad(int mode) {
  auto v = providers::WebRtcVad::create(mode);
  return std::make_unique<WebRtcVadDetector>(v ? std::move(*v) : nullptr);
}

}  // namespace parley::agent
