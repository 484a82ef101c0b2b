#include "providers/vad/webrtc_vad.h"

#include <string>

// Debian's webrtc-audio-processing 0.3 exports the VAD's C API (WebRtcVad_*) from the shared
// library but installs no header for it, so its prototypes are declared here, as they are in
// webrtc/common_audio/vad/include/webrtc_vad.h of that release (the 2015 API where Create
// returns the instance).
extern "C" {
struct WebRtcVadInst;
typedef struct WebRtcVadInst VadInst;
VadInst* WebRtcVad_Create();
void WebRtcVad_Free(VadInst* handle);
int WebRtcVad_Init(VadInst* handle);
int WebRtcVad_set_mode(VadInst* handle, int mode);
int WebRtcVad_Process(VadInst* handle, int fs, const int16_t* audio_frame, size_t frame_length);
int WebRtcVad_ValidRateAndFrameLength(int rate, size_t frame_length);
}

namespace parley::providers {

namespace {
VadInst* native(void* p) { return static_cast<VadInst*>(p); }
}  // namespace

Result<std::unique_ptr<WebRtcVad>> WebRtcVad::create(int mode) {
  if (mode < 0 || mode > 3) {
    return make_error(ErrorCode::kInvalidArgument, "vad: mode must be 0 … 3 (got " + std::to_string(mode) + ")");
  }
  VadInst* v = WebRtcVad_Create();
  if (v == nullptr) return make_error(ErrorCode::kResourceExhausted, "vad: out of memory");
  if (WebRtcVad_Init(v) != 0 || WebRtcVad_set_mode(v, mode) != 0) {
    WebRtcVad_Free(v);
    return make_error(ErrorCode::kInternal, "vad: initialisation failed");
  }
  return std::unique_ptr<WebRtcVad>(new WebRtcVad(v));
}

WebRtcVad::~WebRtcVad() { WebRtcVad_Free(native(handle_)); }

bool WebRtcVad::valid_frame(int sample_rate, size_t samples) {
  return WebRtcVad_ValidRateAndFrameLength(sample_rate, samples) == 0;
}

Result<bool> WebRtcVad::is_speech(std::span<const int16_t> mono, int sample_rate) {
  if (!valid_frame(sample_rate, mono.size())) {
    return make_error(ErrorCode::kInvalidArgument, "vad: " + std::to_string(mono.size()) + " samples at " +
                                                       std::to_string(sample_rate) +
                                                       " Hz is not a 10/20/30 ms frame at 8/16/32/48 kHz");
  }
  int r = WebRtcVad_Process(native(handle_), sample_rate, mono.data(), mono.size());
  if (r < 0) return make_error(ErrorCode::kInternal, "vad: processing failed");
  return r == 1;
}

}  // namespace parley::providers
