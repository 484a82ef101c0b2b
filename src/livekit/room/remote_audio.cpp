#include "livekit/room/remote_audio.h"

#include <algorithm>

#include <set>

#include "core/clock.h"

namespace parley::livekit {

media::JitterBufferOptions receive_jitter_options() {
  // Every frame the buffer holds is a frame later that the agent hears the caller stop (issue
  // 15's waterfall: 40-60 ms of every turn at the defaults). On a clean network one frame is
  // enough: the buffer starts playing at one frame queued and grows by a frame on each underrun
  // and to three times the measured jitter (jitter_buffer.h), so a jittery path still gets
  // the depth it needs, within the first late packets.
  media::JitterBufferOptions o;
  o.initial_delay = o.frame;
  o.min_delay = o.frame;
  return o;
}

RemoteAudio::RemoteAudio(const RoomCallbacks& callbacks, const log::Logger& log, int sample_rate, bool as_received)
    : cb_(callbacks), log_(log), sample_rate_(sample_rate), as_received_(as_received) {}

void RemoteAudio::apply(const std::map<std::string, SdpTrack>& tracks,
                        const std::function<std::optional<std::string>(const std::string&)>& identity_of) {
  std::set<std::string> present;
  mid_to_track_.clear();
  for (const auto& [mid, t] : tracks) {
    if (t.kind != "audio") continue;
    present.insert(t.track_sid);
    mid_to_track_[mid] = t.track_sid;
    if (tracks_.count(t.track_sid)) continue;
    Track ra;
    ra.info.sid = t.track_sid;
    ra.info.participant_sid = t.participant_sid;
    // Opus decodes straight to 8, 12, 16 or 24 kHz (RFC 6716 4: the decoder band-limits to the
    // rate asked), so a consumer at one of those rates (the recogniser's 16 kHz) gets no
    // 48 kHz decode to resample: the decoder skips what would be thrown away, and no resampler
    // runs per frame. Other rates decode at 48 kHz and are resampled.
    media::JitterBufferOptions options = receive_jitter_options();
    if (media::OpusDecoder::supports_rate(sample_rate_)) options.sample_rate = sample_rate_;
    auto jb = media::JitterBuffer::create(SystemClock::instance(), options);
    if (!jb) continue;
    ra.jitter = std::move(*jb);
    if (sample_rate_ != options.sample_rate) {
      auto rs = media::Resampler::create(options.sample_rate, sample_rate_, 1);
      if (!rs) continue;
      ra.resampler = std::move(*rs);
    }
    auto& slot = tracks_[t.track_sid] = std::move(ra);
    if (auto identity = identity_of(t.participant_sid)) {
      slot.info.participant_identity = *identity;
    } else {
      log_.debug("track held until its participant is known", {{"track", t.track_sid}, {"participant", t.participant_sid}});
    }
    announce(slot);
  }
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (!present.count(it->first)) {
      unannounce(it->second);
      it = tracks_.erase(it);
    } else {
      ++it;
    }
  }
}

void RemoteAudio::participant_updated(const ::livekit::ParticipantInfo& p) {
  // Every offered track of this participant, listed in its info or not: a track held for its
  // participant must not wait for an info that names it (the offer is what subscribes us).
  for (auto& [sid, t] : tracks_) {
    if (t.info.participant_sid != p.sid()) continue;
    for (const auto& info : p.tracks()) {
      if (info.sid() == sid) t.info.name = info.name();
    }
    t.info.participant_identity = p.identity();
    announce(t);
  }
}

void RemoteAudio::participant_left(const std::string& participant_sid) {
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (it->second.info.participant_sid == participant_sid) {
      unannounce(it->second);
      it = tracks_.erase(it);
    } else {
      ++it;
    }
  }
}

void RemoteAudio::track_unpublished(const std::string& track_sid) {
  auto it = tracks_.find(track_sid);
  if (it == tracks_.end()) return;
  // Erased before the callback, which may look at the room again.
  Track gone = std::move(it->second);
  tracks_.erase(it);
  unannounce(gone);
}

void RemoteAudio::clear() {
  for (auto& [sid, t] : tracks_) unannounce(t);
  tracks_.clear();
}

void RemoteAudio::on_rtp(const rtc::RtpAudioPacket& p, const bool& closed) {
  auto m = mid_to_track_.find(p.mid);
  if (m == mid_to_track_.end()) return;
  auto it = tracks_.find(m->second);
  if (it == tracks_.end()) return;
  (void)it->second.jitter->push(p.seq, p.timestamp, std::span<const uint8_t>(p.payload.data(), p.payload.size()));
  if (as_received_ && it->second.announced) drain(it->second, closed);
}

void RemoteAudio::deliver(Track& t, const media::JitterFrame& f) {
  if (!cb_.on_audio) return;
  if (!t.resampler) return cb_.on_audio(t.info, f.audio);
  auto out = t.resampler->process(f.audio);
  if (out && !out->empty()) cb_.on_audio(t.info, *out);
}

bool RemoteAudio::drain(Track& t, const bool& closed) {
  while (auto f = t.jitter->pull_ready()) {
    deliver(t, *f);
    if (closed) return false;
  }
  return true;
}

void RemoteAudio::pump(const bool& closed) {
  for (auto& [sid, ra] : tracks_) {
    if (!ra.announced) continue;
    if (!as_received_) {
      deliver(ra, ra.jitter->pull());
      if (closed) return;
      continue;
    }
    // What came in while the track was held for its participant; then what is overdue, and
    // what that frees (the packets after one given up for lost).
    if (!drain(ra, closed)) return;
    if (auto f = ra.jitter->pull_due()) {
      deliver(ra, *f);
      if (closed || !drain(ra, closed)) return;
    }
  }
}

void RemoteAudio::measure(const std::vector<rtc::RtpReceiveSummary>& received,
                          std::map<std::string, AudioQuality>& out) const {
  for (const auto& r : received) {
    auto m = mid_to_track_.find(r.mid);
    if (m == mid_to_track_.end()) continue;
    auto a = tracks_.find(m->second);
    if (a == tracks_.end()) continue;
    auto& q = out[m->second];
    q = received_quality(r, a->second.jitter->stats());
    // While the caller is silent a sender with DTX sends nothing and the buffer holds nothing,
    // yet the next word will wait the target delay: the larger of the two is that wait. As
    // received, the next word waits for nothing: what is queued behind a missing packet.
    const auto& jitter = *a->second.jitter;
    const auto wait = as_received_ ? jitter.buffered() : std::max(jitter.buffered(), jitter.target_delay());
    q.buffered_ms = static_cast<double>(wait.count());
  }
}

std::vector<std::string> RemoteAudio::track_sids() const {
  std::vector<std::string> out;
  for (const auto& [sid, t] : tracks_) out.push_back(sid);
  return out;
}

void RemoteAudio::announce(Track& t) {
  if (t.announced || t.info.participant_identity.empty()) return;
  t.announced = true;
  log_.info("track subscribed", {{"track", t.info.sid}, {"participant", t.info.participant_identity}});
  if (cb_.on_track_subscribed) cb_.on_track_subscribed(t.info);
}

void RemoteAudio::unannounce(const Track& t) {
  if (t.announced && cb_.on_track_unsubscribed) cb_.on_track_unsubscribed(t.info);
}

}  // namespace parley::livekit
