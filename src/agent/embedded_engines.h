// The embedded voice activity detector: WebRTC's, behind the voice pipeline's interface.
#pragma once

#include <memory>

#include "voice/speech_interfaces.h"

namespace parley::agent {

// Per call: the WebRTC VAD's decision on 10/20/30 ms frames at 8/16/32/48 kHz; frames it cannot
// judge (other sizes) fall back to a level-based decision.
std::unique_ptr<voice::VoiceActivityDetector> make_webrtc_vad(int mode);

}  // namespace parley::agent
