#include "livekit/room/local_audio_track_impl.h"

#include <algorithm>
#include <optional>

#include "livekit/rtc/peer_connection.h"

namespace parley::livekit {

LocalAudioTrackImpl::LocalAudioTrackImpl(std::string track_id, std::unique_ptr<media::OpusEncoder> encoder)
    : track_id_(std::move(track_id)), encoder_(std::move(encoder)) {}

LocalAudioTrackImpl::~LocalAudioTrackImpl() = default;

void LocalAudioTrackImpl::set_source(std::shared_ptr<media::OutgoingAudio> source) {
  std::lock_guard l(source_mutex_);
  pending_source_ = std::move(source);
  source_changed_.store(true, std::memory_order_release);
}

std::optional<media::AudioFrame> LocalAudioTrackImpl::next_frame() {
  if (source_changed_.load(std::memory_order_acquire)) {
    std::lock_guard l(source_mutex_);  // only when a new source was set, never per frame
    source_ = std::move(pending_source_);
    pending_source_.reset();
    source_changed_.store(false, std::memory_order_relaxed);
  }
  std::optional<media::AudioFrame> f;
  if (source_) f = source_->pull();
  if (f && (f->sample_rate != 48000 || f->channels != 1 || f->samples_per_channel != 960 || !f->valid())) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    f.reset();
  }
  if (f) {
    trailing_silence_ = kTrailingSilenceFrames;
    return f;
  }
  if (trailing_silence_ == 0) return std::nullopt;
  --trailing_silence_;
  return media::AudioFrame::silence(48000, 1, std::chrono::milliseconds(20));
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
  // Not pulled before the track's m-section is negotiated: the audio waits (a greeting is not
  // cut) and no RTP goes out on an SSRC the server has not been told of.
  if (sender_ == nullptr || !sender_->negotiated()) {
    last_send_ = {};
    return;
  }
  auto frame = next_frame();
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
