#include "media/narrowband_line.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace parley::media {

namespace {

constexpr int kTaps = 63;
constexpr double kCutoffHz = 5500;
constexpr int kBlock = NarrowbandLine::kRate / 50;  // 20 ms
// A block counts when it is loud enough to be speech rather than the line's idle noise (RMS
// above -40 dBFS); half a second of such blocks decides.
constexpr double kLoudBlockEnergy = 328.0 * 328.0 * kBlock;
constexpr int kBlocksToDecide = 25;
constexpr double kNarrowbandBelow = 1e-6;  // -60 dB of the energy above the cut-off
// The mirror image's level: 0.3 (-10.5 dB). bench/stt: 0.2 and 0.32 gave the same gain, 0.5 less.
constexpr double kFoldGain = 0.3;

// The high-pass filter: a unit impulse minus a Blackman-windowed sinc low-pass.
const std::array<float, kTaps>& high_pass() {
  static const std::array<float, kTaps> taps = [] {
    std::array<float, kTaps> h{};
    const double fc = kCutoffHz / NarrowbandLine::kRate;
    for (int i = 0; i < kTaps; ++i) {
      const double n = i - (kTaps - 1) / 2.0;
      const double sinc = n == 0 ? 2 * fc : std::sin(2 * std::numbers::pi * fc * n) / (std::numbers::pi * n);
      const double w = 0.42 - 0.5 * std::cos(2 * std::numbers::pi * i / (kTaps - 1)) +
                       0.08 * std::cos(4 * std::numbers::pi * i / (kTaps - 1));
      h[static_cast<size_t>(i)] = static_cast<float>(-sinc * w);
    }
    h[(kTaps - 1) / 2] += 1.0f;
    return h;
  }();
  return taps;
}

}  // namespace

void NarrowbandLine::classify(std::span<const int16_t> pcm) {
  const auto& h = high_pass();
  for (int16_t s : pcm) {
    // Each sample is written twice, kTaps apart, so the filter's window is always contiguous:
    // history_[history_pos_ .. history_pos_ + kTaps) runs from the oldest sample to this one.
    history_[history_pos_] = history_[history_pos_ + kTaps] = s;
    history_pos_ = (history_pos_ + 1) % kTaps;
    // Until the filter is full, its output is the response to the stream's first sample (a step
    // from zero, wideband however narrow the line): not measured.
    if (filled_ < kTaps) {
      ++filled_;
      continue;
    }
    double y = 0;
    const float* window = history_.data() + history_pos_;
    for (size_t k = 0; k < h.size(); ++k) y += h[k] * window[k];
    block_energy_ += static_cast<double>(s) * s;
    block_high_ += y * y;
    if (++block_samples_ < kBlock) continue;
    if (block_energy_ >= kLoudBlockEnergy) {
      loud_energy_ += block_energy_;
      loud_high_ += block_high_;
      ++loud_blocks_;
    }
    block_energy_ = block_high_ = 0;
    block_samples_ = 0;
    if (loud_blocks_ >= kBlocksToDecide) {
      kind_ = loud_high_ < kNarrowbandBelow * loud_energy_ ? Kind::kNarrowband : Kind::kWideband;
      return;
    }
  }
}

std::span<const int16_t> NarrowbandLine::process(std::span<const int16_t> pcm) {
  if (kind_ == Kind::kUnknown) classify(pcm);
  if (kind_ != Kind::kNarrowband) {
    odd_ ^= (pcm.size() % 2) != 0;
    return pcm;
  }
  // x[n] * (-1)^n is x with its spectrum mirrored about 4 kHz: f -> 8 kHz - f.
  folded_.resize(pcm.size());
  for (size_t i = 0; i < pcm.size(); ++i) {
    const double sign = odd_ ? -1.0 : 1.0;
    const double y = pcm[i] * (1.0 + sign * kFoldGain);
    folded_[i] = static_cast<int16_t>(std::clamp(std::lround(y), -32768L, 32767L));
    odd_ = !odd_;
  }
  return folded_;
}

}  // namespace parley::media
