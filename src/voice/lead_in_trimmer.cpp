#include "voice/lead_in_trimmer.h"

#include <algorithm>
#include <span>

namespace parley::voice {

LeadInTrimmer::LeadInTrimmer(Options options) : options_(options) {}

std::chrono::microseconds LeadInTrimmer::trimmed() const {
  if (rate_ == 0) return std::chrono::microseconds(0);
  return std::chrono::microseconds(trimmed_samples_ * 1'000'000 / rate_);
}

media::AudioFrame LeadInTrimmer::release(size_t from_sample) {
  done_ = true;
  auto c = static_cast<size_t>(channels_);
  auto out = media::AudioFrame::from_samples(rate_, channels_, std::span<const int16_t>(held_).subspan(from_sample * c));
  trimmed_samples_ += static_cast<int64_t>(from_sample);
  held_.clear();
  held_.shrink_to_fit();
  return out;
}

media::AudioFrame LeadInTrimmer::feed(const media::AudioFrame& chunk) {
  if (done_ || chunk.empty()) return chunk;
  if (rate_ != 0 && (chunk.sample_rate != rate_ || chunk.channels != channels_)) {
    // A fallback engine at another format: stop trimming rather than mix formats.
    held_.clear();
    done_ = true;
    return chunk;
  }
  rate_ = chunk.sample_rate;
  channels_ = chunk.channels;
  held_.insert(held_.end(), chunk.data.begin(), chunk.data.end());

  auto c = static_cast<size_t>(channels_);
  auto window = static_cast<size_t>(media::samples_for(rate_, std::chrono::milliseconds(10)));
  auto keep = static_cast<size_t>(media::samples_for(rate_, options_.keep));
  auto cap = static_cast<int64_t>(media::samples_for(rate_, options_.max_trim));
  size_t held = held_.size() / c;
  while (scanned_ + window <= held) {
    std::span<const int16_t> w(held_.data() + scanned_ * c, window * c);
    if (media::level_dbov(w) > options_.threshold_dbov) {
      size_t from = scanned_ > keep ? scanned_ - keep : 0;
      return release(std::min(from, static_cast<size_t>(std::max<int64_t>(0, cap - trimmed_samples_))));
    }
    scanned_ += window;
  }
  // Still quiet: cut all but the pre-roll (and the partial window being looked at), up to the cap.
  size_t cut = scanned_ > keep ? scanned_ - keep : 0;
  if (trimmed_samples_ + static_cast<int64_t>(cut) >= cap) {
    return release(static_cast<size_t>(std::max<int64_t>(0, cap - trimmed_samples_)));
  }
  if (cut > 0) {
    held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(cut * c));
    scanned_ -= cut;
    trimmed_samples_ += static_cast<int64_t>(cut);
  }
  return media::AudioFrame::from_samples(rate_, channels_, {});
}

}  // namespace parley::voice
