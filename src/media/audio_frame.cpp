#include "media/audio_frame.h"

#include <algorithm>
#include <cmath>

namespace parley::media {

int samples_for(int sample_rate, std::chrono::microseconds duration) {
  return static_cast<int>(static_cast<long long>(sample_rate) * duration.count() / 1'000'000);
}

AudioFrame AudioFrame::silence(int sample_rate, int channels, std::chrono::microseconds duration) {
  AudioFrame f;
  f.sample_rate = sample_rate;
  f.channels = channels;
  f.samples_per_channel = samples_for(sample_rate, duration);
  f.data.assign(static_cast<size_t>(f.samples_per_channel) * static_cast<size_t>(channels), 0);
  return f;
}

AudioFrame AudioFrame::from_samples(int sample_rate, int channels, std::span<const int16_t> interleaved) {
  AudioFrame f;
  f.sample_rate = sample_rate;
  f.channels = channels;
  f.samples_per_channel = channels > 0 ? static_cast<int>(interleaved.size()) / channels : 0;
  f.data.assign(interleaved.begin(),
                interleaved.begin() + static_cast<std::ptrdiff_t>(f.samples_per_channel) * channels);
  return f;
}

std::chrono::microseconds AudioFrame::duration() const {
  if (sample_rate <= 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(static_cast<long long>(samples_per_channel) * 1'000'000 / sample_rate);
}

bool AudioFrame::valid() const {
  return sample_rate > 0 && channels > 0 && samples_per_channel >= 0 &&
         data.size() == static_cast<size_t>(samples_per_channel) * static_cast<size_t>(channels);
}

AudioFrame to_mono(const AudioFrame& frame) {
  if (frame.channels <= 1) return frame;
  AudioFrame out;
  out.sample_rate = frame.sample_rate;
  out.channels = 1;
  out.samples_per_channel = frame.samples_per_channel;
  out.data.resize(static_cast<size_t>(frame.samples_per_channel));
  const auto ch = static_cast<size_t>(frame.channels);
  for (size_t i = 0; i < out.data.size(); ++i) {
    int sum = 0;
    for (size_t c = 0; c < ch; ++c) sum += frame.data[i * ch + c];
    out.data[i] = static_cast<int16_t>(sum / static_cast<int>(ch));
  }
  return out;
}

double rms(std::span<const int16_t> samples) {
  if (samples.empty()) return 0.0;
  double sum = 0.0;
  for (int16_t s : samples) sum += static_cast<double>(s) * s;
  return std::sqrt(sum / static_cast<double>(samples.size()));
}

double level_dbov(std::span<const int16_t> samples) {
  double r = rms(samples);
  if (r <= 0.0) return -127.0;
  // 0 dBov is the RMS of a full-scale square wave (RFC 6464 section 4).
  return std::max(-127.0, std::min(0.0, 20.0 * std::log10(r / 32768.0)));
}

uint8_t rtp_audio_level(std::span<const int16_t> samples) {
  return static_cast<uint8_t>(std::lround(-level_dbov(samples)));
}

}  // namespace parley::media
