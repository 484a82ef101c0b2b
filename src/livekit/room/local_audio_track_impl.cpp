#include "livekit/room/local_audio_track_impl.h"

#include <algorithm>

#include "livekit/rtc/peer_connection.h"

namespace parley::livekit {

LocalAudioTrackImpl::LocalAudioTrackImpl(std::string track_id, std::unique_ptr<media::OpusEncoder> encoder)
    : track_id_(std::move(track_id)), encoder_(std::move(encoder)) {}

LocalAudioTrackImpl::~LocalAudioTrackImpl() { clear(); }

Status LocalAudioTrackImpl::push(const media::AudioFrame& in) {
  if (!in.valid()) return make_error(ErrorCode::kInvalidArgument, "audio frame's data does not match its format");
  if (in.empty()) return {};
  media::AudioFrame mono = media::to_mono(in);
  std::lock_guard producer(producer_mutex_);
  {
    std::lock_guard queue(mutex_);
    if (frames_.size() >= kMaxQueuedFrames) {
      return make_error(ErrorCode::kResourceExhausted, "more than 30 s of audio is already queued for sending", true);
    }
  }
  if (mono.sample_rate != 48000) {
    if (!resampler_ || resampler_->in_rate() != mono.sample_rate) {
      auto r = media::Resampler::create(mono.sample_rate, 48000, 1);
      if (!r) return tl::unexpected(r.error());
      resampler_ = std::move(*r);
    }
    auto out = resampler_->process(mono);
    if (!out) return tl::unexpected(out.error());
    mono = std::move(*out);
  }
  if (auto s = assembler_.push(mono); !s) return s;
  std::vector<media::AudioFrame> ready;
  while (auto f = assembler_.pop()) ready.push_back(std::move(*f));
  last_push_ = std::chrono::steady_clock::now();
  std::lock_guard queue(mutex_);
  for (auto& f : ready) frames_.push_back(std::move(f));
  return {};
}

std::chrono::milliseconds LocalAudioTrackImpl::queued() const {
  std::lock_guard producer(producer_mutex_);
  std::lock_guard lock(mutex_);
  return std::chrono::milliseconds(20 * frames_.size() + assembler_.pending_samples() / 48);
}

void LocalAudioTrackImpl::clear() {
  std::lock_guard producer(producer_mutex_);
  std::lock_guard lock(mutex_);
  frames_.clear();
  assembler_.clear();
  if (resampler_) {
    media::SecureVector<int16_t> drop;
    (void)resampler_->flush(drop);
  }
}

std::optional<media::AudioFrame> LocalAudioTrackImpl::pop() {
  // The producer's state only if no push holds it now (a push in progress is no tail), taken
  // first as the lock order wants; the media loop never waits for a push's work.
  std::unique_lock producer(producer_mutex_, std::try_to_lock);
  std::lock_guard lock(mutex_);
  if (frames_.empty()) {
    // The tail of an utterance: pad it once nothing more has come for a while, so the last
    // words are not cut off (pushes come in 10-20 ms pieces or more).
    if (producer.owns_lock() && assembler_.pending_samples() > 0 &&
        std::chrono::steady_clock::now() - last_push_ > std::chrono::milliseconds(60)) {
      if (resampler_) {
        media::SecureVector<int16_t> rest;
        if (resampler_->flush(rest)) (void)assembler_.push(std::span<const int16_t>(rest.data(), rest.size()));
      }
      while (auto f = assembler_.pop()) frames_.push_back(std::move(*f));
      if (auto f = assembler_.pop_padded()) frames_.push_back(std::move(*f));
    }
    if (frames_.empty()) {
      if (trailing_silence_ == 0) return std::nullopt;
      --trailing_silence_;
      return media::AudioFrame::silence(48000, 1, std::chrono::milliseconds(20));
    }
  }
  media::AudioFrame f = std::move(frames_.front());
  frames_.pop_front();
  trailing_silence_ = kTrailingSilenceFrames;
  return f;
}

SendIntervals LocalAudioTrackImpl::send_intervals() const {
  SendIntervals s;
  for (size_t i = 0; i < s.ms.size(); ++i) s.ms[i] = intervals_[i].load(std::memory_order_relaxed);
  return s;
}

uint64_t SendIntervals::count() const {
  uint64_t n = 0;
  for (auto c : ms) n += c;
  return n;
}

double SendIntervals::quantile_upper_ms(double q) const {
  const uint64_t n = count();
  if (n == 0) return 0;
  uint64_t seen = 0;
  for (size_t i = 0; i < ms.size(); ++i) {
    seen += ms[i];
    if (static_cast<double>(seen) >= q * static_cast<double>(n)) return static_cast<double>(i + 1);
  }
  return static_cast<double>(ms.size());
}

void LocalAudioTrackImpl::send_next() {
  if (sender_ == nullptr) return;
  auto frame = pop();
  if (!frame) {
    last_send_ = {};  // a gap in the audio, not in the pacing
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (last_send_ != std::chrono::steady_clock::time_point{}) {
    auto ms = static_cast<size_t>(std::chrono::duration_cast<std::chrono::milliseconds>(now - last_send_).count());
    intervals_[std::min(ms, SendIntervals::kBuckets - 1)].fetch_add(1, std::memory_order_relaxed);
  }
  last_send_ = now;
  auto packet = encoder_->encode(*frame);
  if (!packet) return;
  sender_->send_opus(std::span<const uint8_t>(packet->data(), packet->size()),
                     static_cast<uint32_t>(frame->samples_per_channel), media::rtp_audio_level(frame->samples()));
  ++sent_;
}

}  // namespace parley::livekit
