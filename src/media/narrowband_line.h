// Is a caller's line a telephone line, and if so, give a wideband recogniser something where it
// expects the speech's upper band.
//
// A call that came in over G.711 (PCMU/PCMA: most telephone trunks) reaches parley at 48 kHz,
// but nothing of it lies above 4 kHz. pocketsphinx's English model was trained on 16 kHz
// speech: its filters between 4 and 7 kHz then hear silence where they expect the fricatives
// ("how much" is heard as "ahmed", "prices" as "pride and"). Mirroring the 0-4 kHz band into the
// empty 4-8 kHz band, 10 dB down (what upsampling without an anti-imaging filter does), gives
// them a stand-in. On bench/stt's narrowband calls it cut word errors by 3-5 points.
//
// The line is classified from the audio itself (the bridge does not say which codec the phone
// chose): over the first half second of loud-enough 16 kHz audio, the share of energy above
// ~6 kHz. A telephone line measures below -67 dB, wideband speech above -52 dB (bench/stt's
// corpus); the threshold is -60 dB. Until then, and on a wideband line, audio passes untouched.
// One owner; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "media/secure_buffer.h"

namespace parley::media {

class NarrowbandLine {
 public:
  enum class Kind { kUnknown, kWideband, kNarrowband };

  // `known`: what an earlier utterance of the same call found (kUnknown for a new call).
  explicit NarrowbandLine(Kind known = Kind::kUnknown) : kind_(known) {}

  // Takes the next 16 kHz mono samples: classifies the line while it is unknown, and returns
  // them as the recogniser should hear them (a view of `pcm`, or of a folded copy held until
  // the next call).
  std::span<const int16_t> process(std::span<const int16_t> pcm);

  Kind kind() const { return kind_; }

  static constexpr int kRate = 16000;

 private:
  void classify(std::span<const int16_t> pcm);

  Kind kind_;
  // Classification: a 63-tap high-pass FIR (Blackman-windowed sinc at 5.5 kHz: -74 dB below
  // ~4.8 kHz), run only while the line is unknown.
  std::array<float, 2 * 63> history_{};  // the last 63 samples, twice (classify())
  size_t history_pos_ = 0;
  int filled_ = 0;
  double block_energy_ = 0, block_high_ = 0;
  int block_samples_ = 0;
  double loud_energy_ = 0, loud_high_ = 0;
  int loud_blocks_ = 0;
  // Folding: the parity of the next sample in the stream, so the mirror image stays one signal
  // across calls to process().
  bool odd_ = false;
  SecureVector<int16_t> folded_;
};

}  // namespace parley::media
