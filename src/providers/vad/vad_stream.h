// Speech segmentation for one audio stream, in the style of LiveKit Agents' VAD stream: push
// frames of any size, rate and channel count; get START_OF_SPEECH when speech has lasted
// min_speech, and END_OF_SPEECH (with the utterance's audio, including prefix_padding of audio
// before the start) when silence has lasted min_silence. The per-frame decision is WebRtcVad's.
//
// Audio is analysed mono at the input rate when the WebRTC VAD supports it (8/16/32/48 kHz),
// else resampled to 16 kHz; event audio is in that analysis format. Buffered audio is bounded
// (prefix_padding before speech, max_speech during it) and zeroed when freed.
// Not thread-safe: one owner (the call's loop).
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "media/audio_frame.h"
#include "media/frame_assembler.h"
#include "media/resampler.h"
#include "providers/vad/webrtc_vad.h"

namespace parley::providers {

struct VadOptions {
  std::chrono::milliseconds min_speech{50};       // speech this long starts an utterance
  std::chrono::milliseconds min_silence{550};     // silence this long ends it
  std::chrono::milliseconds prefix_padding{500};  // audio before the start kept with the utterance
  std::chrono::milliseconds max_speech{60'000};   // utterance audio kept at most (then truncated)
  std::chrono::milliseconds frame{20};            // analysis frame: 10, 20 or 30 ms
  int mode = 3;                                   // WebRTC VAD aggressiveness 0 … 3
  // Frames quieter than this are silence whatever the detector says: the WebRTC VAD judges
  // spectral shape, not loudness, and takes faint line hiss (-60 dBov) for speech. Speech on a
  // call is around -35 … -15 dBov.
  double min_level_dbov = -50.0;
};

enum class VadEventType { kStartOfSpeech, kEndOfSpeech };
std::string_view to_string(VadEventType t);

struct VadEvent {
  VadEventType type = VadEventType::kStartOfSpeech;
  std::chrono::milliseconds timestamp{0};        // stream time at which the event was decided
  std::chrono::milliseconds speech_start{0};     // stream time of the first speech frame
  std::chrono::milliseconds speech_duration{0};  // end events: first to last speech frame
  media::AudioFrame audio;                       // end events: prefix padding + utterance
  bool truncated = false;                        // end events: longer than max_speech
};

class VadStream {
 public:
  static Result<std::unique_ptr<VadStream>> create(const VadOptions& options = {});

  // Analyses the frame; returns the events it completed (usually none).
  Result<std::vector<VadEvent>> push_frame(const media::AudioFrame& frame);
  // Ends the stream: an utterance in progress ends now.
  std::vector<VadEvent> flush();

  bool speaking() const { return speaking_; }
  std::chrono::milliseconds stream_time() const;
  const VadOptions& options() const { return options_; }

 private:
  VadStream(const VadOptions& options, std::unique_ptr<WebRtcVad> vad);
  Status configure(int input_rate);
  void analyse(media::AudioFrame frame, std::vector<VadEvent>& events);
  VadEvent end_event(std::chrono::milliseconds now);

  VadOptions options_;
  std::unique_ptr<WebRtcVad> vad_;
  int input_rate_ = 0;
  int analysis_rate_ = 0;
  std::unique_ptr<media::Resampler> resampler_;
  std::optional<media::FrameAssembler> assembler_;

  int64_t analysed_samples_ = 0;
  bool speaking_ = false;
  std::chrono::milliseconds speech_run_{0};
  std::chrono::milliseconds silence_run_{0};
  std::chrono::milliseconds speech_start_{0};
  std::chrono::milliseconds last_speech_end_{0};
  std::deque<media::AudioFrame> recent_;  // prefix padding (+ the speech run) while not speaking
  media::SecureVector<int16_t> utterance_;
  bool truncated_ = false;
};

}  // namespace parley::providers
