#include "media/pcm_source.h"

namespace parley::media {

Status PcmSource::push(const AudioFrame& in) {
  if (!in.valid()) return make_error(ErrorCode::kInvalidArgument, "audio frame's data does not match its format");
  if (in.empty()) return {};
  AudioFrame mono = to_mono(in);
  const size_t incoming = static_cast<size_t>(mono.samples_per_channel) * 48000 / static_cast<size_t>(mono.sample_rate) / 960 + 1;
  if (ring_.queued() + incoming > kMaxFrames) {
    return make_error(ErrorCode::kResourceExhausted, "more than 30 s of audio is already queued for sending", true);
  }
  if (mono.sample_rate != 48000) {
    if (!resampler_ || resampler_->in_rate() != mono.sample_rate) {
      auto r = Resampler::create(mono.sample_rate, 48000, 1);
      if (!r) return tl::unexpected(r.error());
      resampler_ = std::move(*r);
    }
    auto out = resampler_->process(mono);
    if (!out) return tl::unexpected(out.error());
    mono = std::move(*out);
  }
  if (auto s = assembler_.push(mono); !s) return s;
  while (auto f = assembler_.pop()) (void)ring_.push(FrameRing::Entry{std::move(*f)});
  return {};
}

Status PcmSource::flush() {
  if (resampler_) {
    SecureVector<int16_t> rest;
    if (auto s = resampler_->flush(rest); !s) return s;
    if (auto s = assembler_.push(std::span<const int16_t>(rest.data(), rest.size())); !s) return s;
  }
  while (auto f = assembler_.pop()) (void)ring_.push(FrameRing::Entry{std::move(*f)});
  if (auto f = assembler_.pop_padded()) (void)ring_.push(FrameRing::Entry{std::move(*f)});
  return {};
}

std::chrono::milliseconds PcmSource::queued() const {
  return std::chrono::milliseconds(20 * ring_.queued() + assembler_.pending_samples() / 48);
}

}  // namespace parley::media
