#include "voice/energy_vad.h"

#include <algorithm>

namespace parley::voice {

Result<bool> EnergyVad::is_speech(const media::AudioFrame& frame) {
  if (frame.empty() || !frame.valid()) return make_error(ErrorCode::kInvalidArgument, "an empty or inconsistent audio frame");
  double level = media::level_dbov(frame.samples());
  bool speech = level > options_.min_dbov && level > noise_ + options_.margin_db;
  // Follow the background quickly while quiet, and slowly while loud, so a steady hum stops
  // counting as speech after a couple of seconds while real speech (which pauses) stays above.
  double rate = speech ? options_.noise_rise : options_.noise_adapt;
  noise_ = std::clamp(noise_ + (level - noise_) * rate, -90.0, -20.0);
  return speech;
}

}  // namespace parley::voice
