#include "media/g711.h"

#include <algorithm>
#include <cmath>

namespace parley::media {

int16_t ulaw_to_linear(uint8_t code) {
  code = static_cast<uint8_t>(~code);
  const int exponent = (code >> 4) & 0x07;
  const int mantissa = code & 0x0f;
  const int magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return static_cast<int16_t>((code & 0x80) ? -magnitude : magnitude);
}

double rms_dbfs(std::span<const int16_t> samples) {
  if (samples.empty()) return -120;
  double sum = 0;
  for (int16_t s : samples) sum += double(s) * double(s);
  const double rms = std::sqrt(sum / double(samples.size()));
  if (rms < 1e-3) return -120;
  return std::max(-120.0, 20 * std::log10(rms / 32768.0));
}

}  // namespace parley::media
