// A block of interleaved 16-bit PCM: the unit every media and voice component passes around.
// On the wire and in the pipeline a frame is 10 or 20 ms; engines (TTS, resampler output) may
// produce frames of any length, which FrameAssembler cuts back into fixed frames.
//
// Not thread-safe (a value type: copy or move it between threads).
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "media/secure_buffer.h"

namespace parley::media {

struct AudioFrame {
  int sample_rate = 48000;
  int channels = 1;
  int samples_per_channel = 0;
  SecureVector<int16_t> data;  // interleaved, size == samples_per_channel * channels

  // A zeroed frame of `duration` at the given format.
  static AudioFrame silence(int sample_rate, int channels, std::chrono::microseconds duration);
  static AudioFrame from_samples(int sample_rate, int channels, std::span<const int16_t> interleaved);

  std::chrono::microseconds duration() const;
  bool empty() const { return samples_per_channel == 0; }
  std::span<const int16_t> samples() const { return {data.data(), data.size()}; }
  std::span<int16_t> samples() { return {data.data(), data.size()}; }
  // The frame's data is consistent with its format fields.
  bool valid() const;
};

// Samples per channel in `duration` at `sample_rate` (20 ms at 48 kHz = 960).
int samples_for(int sample_rate, std::chrono::microseconds duration);

// Averages the channels into one (a mono frame is returned unchanged).
AudioFrame to_mono(const AudioFrame& frame);

// Root mean square of the samples, 0 … 32768.
double rms(std::span<const int16_t> samples);

// Level in dBov (0 = full scale, negative below), -127 for digital silence.
double level_dbov(std::span<const int16_t> samples);

// The RFC 6464 ssrc-audio-level value: the level as a positive number 0 … 127 (-dBov), where
// 127 means silence. LiveKit's active-speaker detection reads it from the RTP header extension.
uint8_t rtp_audio_level(std::span<const int16_t> samples);

}  // namespace parley::media
