#include "media/mono_resampler.h"

namespace parley::media {

Status MonoResampler::push(const AudioFrame& frame, SecureVector<int16_t>& out) {
  if (frame.sample_rate != input_rate_ || !resampler_) {
    // What the old filter still holds belongs before the new rate's audio: not lost.
    if (resampler_) {
      if (auto st = resampler_->flush(out); !st) return st;
    }
    auto r = Resampler::create(frame.sample_rate, out_rate_, 1);
    if (!r) return tl::unexpected(r.error());
    resampler_ = std::move(*r);
    input_rate_ = frame.sample_rate;
  }
  if (frame.channels == 1) return resampler_->process(frame.samples(), out);
  return resampler_->process(to_mono(frame).samples(), out);
}

Status MonoResampler::flush(SecureVector<int16_t>& out) {
  if (!resampler_) return {};
  return resampler_->flush(out);
}

}  // namespace parley::media
