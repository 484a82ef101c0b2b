// Test signals and measurements shared by the media tests.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <span>
#include <vector>

namespace parley::media::test {

// A voiced, speech-like signal: harmonics of a gliding 120–200 Hz pitch, falling off at
// 12 dB/octave like the glottal source of real voice, with a syllable-rate (4 Hz) envelope.
// Deterministic.
inline std::vector<int16_t> voice_like(int rate, double seconds, double amplitude = 9000.0) {
  const size_t n = static_cast<size_t>(rate * seconds);
  std::vector<int16_t> out(n);
  double phase = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double f0 = 160.0 + 40.0 * std::sin(2 * std::numbers::pi * 0.7 * t);
    phase += 2 * std::numbers::pi * f0 / rate;
    double v = 0.0;
    for (int h = 1; h <= 12; ++h) v += std::sin(h * phase) / (h * h);
    const double env = 0.55 + 0.45 * std::sin(2 * std::numbers::pi * 4.0 * t);
    out[i] = static_cast<int16_t>(std::clamp(amplitude * env * v, -32767.0, 32767.0));
  }
  return out;
}

inline std::vector<int16_t> tone(int rate, double hz, double seconds, double amplitude = 10000.0) {
  const size_t n = static_cast<size_t>(rate * seconds);
  std::vector<int16_t> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i] = static_cast<int16_t>(amplitude * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate));
  }
  return out;
}

// Normalised cross-correlation of a[i] and b[i + lag] over their common part.
inline double correlation(std::span<const int16_t> a, std::span<const int16_t> b, size_t lag = 0) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i + lag < b.size() && i < a.size(); ++i) {
    const double x = a[i], y = b[i + lag];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa <= 0 || bb <= 0) return 0.0;
  return ab / std::sqrt(aa * bb);
}

// The lag (0 … max_lag) at which b best matches a, and that correlation.
inline std::pair<size_t, double> best_alignment(std::span<const int16_t> a, std::span<const int16_t> b, size_t max_lag) {
  size_t best = 0;
  double best_c = -2.0;
  for (size_t lag = 0; lag <= max_lag; ++lag) {
    double c = correlation(a, b, lag);
    if (c > best_c) {
      best_c = c;
      best = lag;
    }
  }
  return {best, best_c};
}

// Dominant frequency from the zero crossings (for a clean tone).
inline double zero_crossing_hz(std::span<const int16_t> s, int rate) {
  size_t crossings = 0;
  size_t first = 0, last = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    if ((s[i - 1] < 0) != (s[i] < 0)) {
      if (crossings == 0) first = i;
      last = i;
      ++crossings;
    }
  }
  if (crossings < 2) return 0.0;
  return (static_cast<double>(crossings - 1) / 2.0) / (static_cast<double>(last - first) / rate);
}

}  // namespace parley::media::test
