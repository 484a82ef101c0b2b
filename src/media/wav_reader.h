// Reads RIFF/WAVE files with 16-bit PCM samples (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM
// sub-format): test fixtures, recorded prompts and `parley stt --wav`. Every malformed file is
// rejected with an error that names the problem; nothing in the bytes can make it read out of
// bounds or allocate more than the file's size.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/error.h"
#include "media/audio_frame.h"

namespace parley::media {

struct WavAudio {
  int sample_rate = 0;
  int channels = 0;
  SecureVector<int16_t> samples;  // interleaved

  int frames() const { return channels > 0 ? static_cast<int>(samples.size()) / channels : 0; }
  // The whole clip as one frame.
  AudioFrame to_frame() const { return AudioFrame::from_samples(sample_rate, channels, samples); }
};

class WavReader {
 public:
  // Files larger than this are refused (a call recording of an hour at 48 kHz mono is ~350 MB).
  static constexpr size_t kMaxFileBytes = size_t{1} << 30;

  static Result<WavAudio> parse(std::span<const uint8_t> bytes);
  static Result<WavAudio> read_file(const std::string& path);
};

}  // namespace parley::media
