// Streaming sample-rate conversion (libsoxr) between any two rates, e.g. 48 kHz from WebRTC to
// 16 kHz for speech recognition, or 22.05 kHz from a TTS engine to 48 kHz for Opus.
//
// Streaming: process() may return fewer samples than in * out_rate / in_rate because the filter
// holds back a few milliseconds; flush() drains them at the end of a stream. Not thread-safe:
// one owner (a call's loop or a provider's worker).
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "core/error.h"
#include "media/audio_frame.h"

struct soxr;

namespace parley::media {

enum class ResamplerQuality { kQuick, kLow, kMedium, kHigh };

class Resampler {
 public:
  // Rates 1 Hz … 384 kHz, channels 1 … 8. Equal rates pass samples through unchanged.
  static Result<std::unique_ptr<Resampler>> create(int in_rate, int out_rate, int channels,
                                                   ResamplerQuality quality = ResamplerQuality::kMedium);
  // One whole clip to another rate (start to end, flushed).
  static Result<AudioFrame> convert(const AudioFrame& in, int out_rate,
                                    ResamplerQuality quality = ResamplerQuality::kMedium);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  // Converts interleaved samples and appends the output to `out`.
  Status process(std::span<const int16_t> in, SecureVector<int16_t>& out);
  // A frame at in_rate → a frame at out_rate (of whatever length the filter gives now).
  Result<AudioFrame> process(const AudioFrame& in);
  // Ends the stream: appends the samples still held by the filter. The resampler can then be
  // used for a new stream.
  Status flush(SecureVector<int16_t>& out);

  int in_rate() const { return in_rate_; }
  int out_rate() const { return out_rate_; }
  int channels() const { return channels_; }

 private:
  Resampler(int in_rate, int out_rate, int channels, soxr* s);
  Status run(const int16_t* in, size_t in_frames, SecureVector<int16_t>& out);

  int in_rate_;
  int out_rate_;
  int channels_;
  soxr* soxr_;  // null when in_rate == out_rate
};

}  // namespace parley::media
