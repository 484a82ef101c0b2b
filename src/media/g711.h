// G.711 µ-law (PCMU), the codec every SIP endpoint offers: decoding to 16-bit linear PCM and
// the level of a block of samples. ITU-T G.711: each byte is the one's complement of
// sign(1) | exponent(3) | mantissa(4), biased by 0x84 (132) before the exponent was taken.
#pragma once

#include <cstdint>
#include <span>

namespace parley::media {

int16_t ulaw_to_linear(uint8_t code);

// RMS level in dBFS (0 = a full-scale square wave); -120 for digital silence.
double rms_dbfs(std::span<const int16_t> samples);

}  // namespace parley::media
