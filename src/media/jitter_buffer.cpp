#include "media/jitter_buffer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace parley::media {

namespace {
constexpr int64_t kNoSeq = std::numeric_limits<int64_t>::min();
// A timestamp this far from the playout point is a new stream (a restarted sender), not jitter.
constexpr int64_t kJumpBackSeconds = 2;
constexpr int64_t kJumpAheadSeconds = 10;
// Pulls (20 ms each) without an underrun before the target delay may shrink by one frame.
constexpr int kShrinkAfterPulls = 250;
}  // namespace

std::string_view to_string(FrameSource s) {
  switch (s) {
    case FrameSource::kSilence: return "silence";
    case FrameSource::kDecoded: return "decoded";
    case FrameSource::kFec: return "fec";
    case FrameSource::kConcealed: return "concealed";
  }
  return "?";
}

Result<std::unique_ptr<JitterBuffer>> JitterBuffer::create(const Clock& clock, const JitterBufferOptions& o) {
  if (o.clock_rate <= 0 || o.frame.count() <= 0 || o.frame.count() % 10 != 0 || o.frame.count() > 60) {
    return make_error(ErrorCode::kInvalidArgument, "jitter buffer: frame must be 10, 20, … 60 ms");
  }
  if (o.min_delay.count() < 0 || o.min_delay > o.max_delay || o.initial_delay < o.min_delay ||
      o.initial_delay > o.max_delay) {
    return make_error(ErrorCode::kInvalidArgument,
                      "jitter buffer: delays must satisfy 0 <= min_delay <= initial_delay <= max_delay");
  }
  if (o.max_packets < 2 || o.max_payload < 1 || o.max_concealed < 1) {
    return make_error(ErrorCode::kInvalidArgument, "jitter buffer: max_packets >= 2, max_payload >= 1, max_concealed >= 1");
  }
  auto dec = OpusDecoder::create(o.sample_rate, o.channels);
  if (!dec) return tl::unexpected(dec.error());
  return std::unique_ptr<JitterBuffer>(new JitterBuffer(clock, o, std::move(*dec)));
}

JitterBuffer::JitterBuffer(const Clock& clock, const JitterBufferOptions& o, std::unique_ptr<OpusDecoder> decoder)
    : clock_(clock),
      options_(o),
      decoder_(std::move(decoder)),
      frame_ts_(static_cast<int64_t>(o.clock_rate) * o.frame.count() / 1000),
      frame_samples_(static_cast<int>(static_cast<int64_t>(o.sample_rate) * o.frame.count() / 1000)),
      target_ts_(static_cast<int64_t>(o.clock_rate) * o.initial_delay.count() / 1000) {
  played_ring_.fill(kNoSeq);
}

void JitterBuffer::reset() {
  packets_.clear();
  have_ref_ = false;
  playing_ = false;
  played_any_ = false;
  last_played_seq_ = kNoSeq;
  played_ring_.fill(kNoSeq);
  carry_.clear();
  consecutive_concealed_ = 0;
  underrun_growth_ = 0;
  buffering_timer_ = false;
  have_transit_ = false;
  ahead_frames_ = 0;
  decoder_->reset();
}

int64_t JitterBuffer::unwrap_seq(uint16_t seq) const {
  return max_seq_ + static_cast<int16_t>(static_cast<uint16_t>(seq - static_cast<uint16_t>(max_seq_)));
}

int64_t JitterBuffer::unwrap_ts(uint32_t ts) const {
  return max_ts_ + static_cast<int32_t>(static_cast<uint32_t>(ts - static_cast<uint32_t>(max_ts_)));
}

bool JitterBuffer::recently_played(int64_t seq) const {
  return std::find(played_ring_.begin(), played_ring_.end(), seq) != played_ring_.end();
}

void JitterBuffer::note_played(int64_t seq) {
  if (last_played_seq_ != kNoSeq && seq > last_played_seq_ + 1) {
    stats_.lost += static_cast<uint64_t>(seq - last_played_seq_ - 1);
  }
  if (last_played_seq_ == kNoSeq || seq > last_played_seq_) last_played_seq_ = seq;
  played_ring_[played_pos_] = seq;
  played_pos_ = (played_pos_ + 1) % played_ring_.size();
}

void JitterBuffer::update_jitter(int64_t ts) {
  // RFC 3550 6.4.1: J += (|D| - J) / 16, with D the change in transit time, in clock units.
  const double arrival = std::chrono::duration<double>(clock_.now().time_since_epoch()).count() * options_.clock_rate;
  const double transit = arrival - static_cast<double>(ts);
  if (have_transit_) jitter_ += (std::abs(transit - transit_) - jitter_) / 16.0;
  transit_ = transit;
  have_transit_ = true;
  const int64_t min_ts = to_ts(options_.min_delay);
  const int64_t max_ts = to_ts(options_.max_delay);
  const int64_t desired = std::clamp(jitter_delay_ts(), min_ts, max_ts);
  if (desired > target_ts_) target_ts_ = desired;
}

int64_t JitterBuffer::queued_end() const {
  if (packets_.empty()) return next_ts_;
  return packets_.rbegin()->first + packets_.rbegin()->second.duration;
}

void JitterBuffer::enforce_bounds() {
  while (packets_.size() > options_.max_packets) {
    packets_.erase(packets_.begin());
    ++stats_.overflow_drops;
  }
  // Latency bound: more than max_delay queued (a burst after a stall, or a sender whose clock
  // runs fast) → drop the oldest audio down to the target delay.
  const int64_t max_ts = to_ts(options_.max_delay);
  if (packets_.empty()) return;
  const int64_t start = playing_ ? std::max(next_ts_, packets_.begin()->first) : packets_.begin()->first;
  if (queued_end() - start <= max_ts + frame_ts_) return;
  while (packets_.size() > 1 && queued_end() - packets_.begin()->first > target_ts_) {
    packets_.erase(packets_.begin());
    ++stats_.overflow_drops;
  }
  if (playing_) {
    next_ts_ = packets_.begin()->first;
    carry_.clear();
  }
}

Status JitterBuffer::push(uint16_t sequence, uint32_t timestamp, std::span<const uint8_t> payload) {
  if (payload.empty() || payload.size() > options_.max_payload) {
    ++stats_.invalid;
    return make_error(ErrorCode::kInvalidArgument, "jitter buffer: payload of " + std::to_string(payload.size()) +
                                                       " bytes (1 … " + std::to_string(options_.max_payload) + ")");
  }
  auto samples = decoder_->packet_samples(payload);
  if (!samples) {
    ++stats_.invalid;
    return tl::unexpected(samples.error());
  }
  const int64_t duration = static_cast<int64_t>(*samples) * options_.clock_rate / options_.sample_rate;

  int64_t seq = sequence;
  int64_t ts = timestamp;
  if (have_ref_) {
    seq = unwrap_seq(sequence);
    ts = unwrap_ts(timestamp);
    const int64_t anchor = played_any_ ? next_ts_ : (packets_.empty() ? ts : packets_.begin()->first);
    if (ts < anchor - kJumpBackSeconds * options_.clock_rate || ts > anchor + kJumpAheadSeconds * options_.clock_rate) {
      // A new timestamp base: start over on this packet.
      reset();
      ++stats_.resets;
      seq = sequence;
      ts = timestamp;
    }
  }
  if (!have_ref_) {
    have_ref_ = true;
    max_seq_ = seq;
    max_ts_ = ts;
  }
  if (played_any_ && ts < next_ts_) {
    if (recently_played(seq)) {
      ++stats_.duplicates;
    } else {
      ++stats_.late;
    }
    return {};
  }
  if (packets_.count(ts) != 0) {
    ++stats_.duplicates;
    return {};
  }
  max_seq_ = std::max(max_seq_, seq);
  max_ts_ = std::max(max_ts_, ts);
  update_jitter(ts);
  Packet p{seq, duration, SecureVector<uint8_t>(payload.begin(), payload.end())};
  packets_.emplace(ts, std::move(p));
  ++stats_.received;
  if (!playing_ && !buffering_timer_) {
    buffering_timer_ = true;
    buffering_since_ = clock_.now();
  }
  enforce_bounds();
  return {};
}

bool JitterBuffer::ready_to_start() const {
  if (packets_.empty()) return false;
  if (queued_end() - packets_.begin()->first >= target_ts_) return true;
  // A lone packet (a short burst, or DTX) must not wait for ever.
  const auto target = std::chrono::microseconds(target_ts_ * 1'000'000 / options_.clock_rate);
  return buffering_timer_ && clock_.now() - buffering_since_ >= target;
}

JitterFrame JitterBuffer::take_frame(FrameSource source) {
  const size_t n = frame_len();
  JitterFrame out;
  out.source = source;
  out.audio = AudioFrame::from_samples(options_.sample_rate, options_.channels, std::span<const int16_t>(carry_.data(), n));
  carry_.erase(carry_.begin(), carry_.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

JitterFrame JitterBuffer::silence() {
  ++stats_.silence;
  return JitterFrame{AudioFrame::silence(options_.sample_rate, options_.channels, options_.frame), FrameSource::kSilence};
}

JitterFrame JitterBuffer::conceal(std::span<const uint8_t> fec_from, bool advance) {
  AudioFrame f;
  const bool fec = !fec_from.empty();
  Status st = fec ? decoder_->decode_fec(fec_from, frame_samples_, f) : decoder_->decode_lost(frame_samples_, f);
  if (advance) next_ts_ += frame_ts_;
  if (!st || f.samples_per_channel != frame_samples_) {
    f = AudioFrame::silence(options_.sample_rate, options_.channels, options_.frame);
  }
  if (fec) {
    ++stats_.fec_recovered;
  } else {
    ++stats_.concealed;
    ++consecutive_concealed_;
  }
  return JitterFrame{std::move(f), fec ? FrameSource::kFec : FrameSource::kConcealed};
}

JitterFrame JitterBuffer::pull() {
  if (carry_.size() >= frame_len()) return take_frame(carry_source_);

  if (!playing_) {
    if (!ready_to_start()) return silence();
    start_playing();
  }

  age_target();
  const int64_t max_target = to_ts(options_.max_delay);
  const int64_t min_target = to_ts(options_.min_delay);

  drop_late_front();
  if (packets_.empty()) {
    if (consecutive_concealed_ == 0) {
      ++stats_.underruns;
      pulls_since_underrun_ = 0;
      const int64_t before = target_ts_;
      target_ts_ = std::min(max_target, target_ts_ + frame_ts_);
      underrun_growth_ = target_ts_ - before;
    }
    if (consecutive_concealed_ >= options_.max_concealed) {
      // The sender paused (muted, or stopped between utterances): wait for a full buffer again.
      // Its stopping was no late packet: the frame the underrun added goes (else every pause,
      // each reply of an agent that sends nothing between them, would add a frame of delay).
      target_ts_ = std::max(min_target, target_ts_ - underrun_growth_);
      underrun_growth_ = 0;
      playing_ = false;
      buffering_timer_ = false;
      carry_.clear();
      return silence();
    }
    // Nothing to play: the next packet is late (or the talker stopped). Conceal without moving
    // the playout point, so a late packet still plays — this is how the delay grows.
    return conceal({}, /*advance=*/false);
  }

  if (front_is_due()) return play_front(/*may_accelerate=*/true);
  auto it = packets_.begin();
  const int64_t ts = it->first;
  // A gap: the frame due now is missing. With less than the target delay queued it may only be
  // late: conceal and wait (the delay grows by a frame). Otherwise it is lost: if the packet
  // right after it is here, its FEC data rebuilds this frame, else PLC; either way move on.
  if (queued_end() - next_ts_ < target_ts_) return conceal({}, /*advance=*/false);
  if (ts - next_ts_ <= frame_ts_ + tolerance_ts()) return conceal(it->second.payload, true);
  return conceal({}, true);
}

void JitterBuffer::age_target() {
  if (++pulls_since_underrun_ < kShrinkAfterPulls) return;
  pulls_since_underrun_ = 0;
  const int64_t min_target = to_ts(options_.min_delay);
  const int64_t floor = std::max(min_target, jitter_delay_ts());
  if (target_ts_ - frame_ts_ >= floor) target_ts_ -= frame_ts_;
}

void JitterBuffer::start_playing() {
  ahead_frames_ = 0;
  playing_ = true;
  played_any_ = true;
  buffering_timer_ = false;
  next_ts_ = packets_.begin()->first;
  consecutive_concealed_ = 0;
}

void JitterBuffer::drop_late_front() {
  // Packets wholly before the playout point (overlapped by a longer packet) are late.
  while (!packets_.empty() && packets_.begin()->first + packets_.begin()->second.duration <= next_ts_) {
    packets_.erase(packets_.begin());
    ++stats_.late;
  }
}

bool JitterBuffer::front_is_due() const {
  return !packets_.empty() && packets_.begin()->first <= next_ts_ + tolerance_ts();
}

bool JitterBuffer::whole_frame_is_here() const {
  // Packets shorter than a frame (10 ms) make up one only together: none may be missing.
  int64_t end = next_ts_;
  for (const auto& [ts, p] : packets_) {
    if (ts > end + tolerance_ts()) return false;
    end = std::max(end, ts + p.duration);
    if (end - next_ts_ >= frame_ts_ - tolerance_ts()) return true;
  }
  return false;
}

JitterFrame JitterBuffer::play_front(bool may_accelerate) {
  if (!decode_front()) return conceal({}, true);
  consecutive_concealed_ = 0;
  underrun_growth_ = 0;  // the packet was late, not the sender paused: the growth stays
  // Packets shorter than a frame (10 ms): keep decoding the ones that follow.
  while (carry_.size() < frame_len() && front_is_due()) {
    if (!decode_front()) break;
  }
  if (carry_.size() < frame_len()) {
    // The rest of the frame is missing: conceal just that much (PLC works in 2.5 ms steps).
    const int missing = static_cast<int>((frame_len() - carry_.size()) / static_cast<size_t>(options_.channels));
    const int step = options_.sample_rate / 400;
    AudioFrame f;
    if (decoder_->decode_lost((missing + step - 1) / step * step, f)) {
      carry_.insert(carry_.end(), f.data.begin(), f.data.end());
      next_ts_ += static_cast<int64_t>(f.samples_per_channel) * options_.clock_rate / options_.sample_rate;
    }
    if (carry_.size() < frame_len()) carry_.resize(frame_len(), 0);
  }
  // Latency control: well over the target (after a burst, or the delay grew for jitter that
  // has gone), skip one frame in ten: decoded, so the decoder's state stays continuous, and
  // discarded. Not as received: nothing waits there.
  ++pulls_since_accelerate_;
  if (may_accelerate && queued_end() - next_ts_ > target_ts_ + 2 * frame_ts_ && pulls_since_accelerate_ >= 10 &&
      front_is_due()) {
    const size_t keep = carry_.size();
    if (decode_front()) ++stats_.accelerated;
    carry_.resize(keep);
    pulls_since_accelerate_ = 0;
  }
  carry_source_ = FrameSource::kDecoded;
  return take_frame(FrameSource::kDecoded);
}

std::optional<JitterFrame> JitterBuffer::pull_ready() {
  std::optional<JitterFrame> out;
  if (carry_.size() >= frame_len()) {
    out = take_frame(carry_source_);
  } else {
    if (!playing_) {
      if (packets_.empty()) return std::nullopt;
      start_playing();  // nothing to wait for: the first packet is here
    }
    drop_late_front();
    if (!whole_frame_is_here()) return std::nullopt;
    out = play_front(/*may_accelerate=*/false);
  }
  ++ahead_frames_;
  return out;
}

std::optional<JitterFrame> JitterBuffer::pull_due() {
  // Frames handed out minus ticks, counted from the first frame of a run: a burst puts it ahead,
  // and the ticks until the next burst bring it back. Below minus the target delay, the frame
  // due has waited as long as a playing buffer would have held it.
  --ahead_frames_;
  // Ahead all through 5 s is no burst but a sender whose clock runs fast: let a frame go, else
  // the wait for a lost packet would grow with it.
  lowest_ahead_ = std::min(lowest_ahead_, ahead_frames_);
  if (++ticks_since_lowest_ >= kShrinkAfterPulls) {
    if (lowest_ahead_ > 0) --ahead_frames_;
    lowest_ahead_ = ahead_frames_;
    ticks_since_lowest_ = 0;
  }
  if (ahead_frames_ >= -(target_ts_ / frame_ts_)) {
    if (playing_) age_target();  // a tick of playing, as pull() counts it
    return std::nullopt;
  }
  ++ahead_frames_;
  return pull();
}

bool JitterBuffer::decode_front() {
  auto it = packets_.begin();
  const int64_t ts = it->first;
  const int64_t seq = it->second.seq;
  AudioFrame f;
  Status st = decoder_->decode(it->second.payload, f);
  packets_.erase(it);
  if (!st || f.samples_per_channel <= 0) {
    ++stats_.invalid;
    return false;
  }
  note_played(seq);
  ++stats_.decoded;
  next_ts_ = ts + static_cast<int64_t>(f.samples_per_channel) * options_.clock_rate / options_.sample_rate;
  carry_.insert(carry_.end(), f.data.begin(), f.data.end());
  return true;
}

std::chrono::milliseconds JitterBuffer::target_delay() const {
  return std::chrono::milliseconds(target_ts_ * 1000 / options_.clock_rate);
}

std::chrono::milliseconds JitterBuffer::buffered() const {
  if (packets_.empty()) return std::chrono::milliseconds(0);
  const int64_t start = playing_ ? std::max(next_ts_, packets_.begin()->first) : packets_.begin()->first;
  return std::chrono::milliseconds((queued_end() - start) * 1000 / options_.clock_rate);
}

double JitterBuffer::jitter_ms() const { return jitter_ * 1000.0 / options_.clock_rate; }

}  // namespace parley::media
