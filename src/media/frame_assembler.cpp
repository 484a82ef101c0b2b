#include "media/frame_assembler.h"

namespace parley::media {

FrameAssembler::FrameAssembler(int sample_rate, int channels, std::chrono::microseconds frame)
    : sample_rate_(sample_rate), channels_(channels < 1 ? 1 : channels), samples_per_frame_(samples_for(sample_rate, frame)) {}

Status FrameAssembler::push(std::span<const int16_t> interleaved) {
  if (interleaved.size() % static_cast<size_t>(channels_) != 0) {
    return make_error(ErrorCode::kInvalidArgument, "frame assembler: sample count is not a multiple of the channels");
  }
  pending_.insert(pending_.end(), interleaved.begin(), interleaved.end());
  return {};
}

Status FrameAssembler::push(const AudioFrame& frame) {
  if (frame.sample_rate != sample_rate_ || frame.channels != channels_ || !frame.valid()) {
    return make_error(ErrorCode::kInvalidArgument, "frame assembler: frame of another format (" +
                                                       std::to_string(frame.sample_rate) + " Hz × " +
                                                       std::to_string(frame.channels) + " ch)");
  }
  return push(frame.samples());
}

std::optional<AudioFrame> FrameAssembler::pop() {
  const size_t n = static_cast<size_t>(samples_per_frame_) * static_cast<size_t>(channels_);
  if (n == 0 || pending_.size() < n) return std::nullopt;
  AudioFrame f = AudioFrame::from_samples(sample_rate_, channels_, std::span<const int16_t>(pending_.data(), n));
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  return f;
}

std::optional<AudioFrame> FrameAssembler::pop_padded() {
  if (auto f = pop()) return f;
  if (pending_.empty()) return std::nullopt;
  pending_.resize(static_cast<size_t>(samples_per_frame_) * static_cast<size_t>(channels_), 0);
  return pop();
}

}  // namespace parley::media
