#include "livekit/room/subscription_watch.h"

#include <algorithm>

namespace parley::livekit {

void SubscriptionWatch::start_waiting(Watched& w, Clock::time_point now) {
  w.next_ask = now + options_.grace;
  w.attempts = 0;
  w.unsubscribed = false;
  w.interval = options_.grace;
}

void SubscriptionWatch::published(const std::string& participant_sid, const std::vector<std::string>& audio_track_sids,
                                  Clock::time_point now) {
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    bool listed = std::find(audio_track_sids.begin(), audio_track_sids.end(), it->first) != audio_track_sids.end();
    if (it->second.participant_sid == participant_sid && !listed) {
      it = tracks_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& sid : audio_track_sids) {
    if (tracks_.count(sid)) continue;
    Watched& w = tracks_[sid];
    w.participant_sid = participant_sid;
    w.offered = offered_.count(sid) > 0;
    start_waiting(w, now);
  }
}

void SubscriptionWatch::participant_left(const std::string& participant_sid) {
  std::erase_if(tracks_, [&](const auto& kv) { return kv.second.participant_sid == participant_sid; });
}

void SubscriptionWatch::offered(const std::set<std::string>& track_sids, Clock::time_point now) {
  offered_ = track_sids;
  for (auto& [sid, w] : tracks_) {
    bool now_offered = offered_.count(sid) > 0;
    // A track that was offered and is no longer (the server dropped it) is waited for afresh.
    if (w.offered && !now_offered) start_waiting(w, now);
    w.offered = now_offered;
  }
}

void SubscriptionWatch::refused(const std::string& track_sid, Clock::time_point now) {
  auto it = tracks_.find(track_sid);
  if (it == tracks_.end()) return;
  it->second.offered = false;
  if (it->second.attempts == 0) it->second.attempts = 1;  // a plain subscribe is what failed: resubscribe
  it->second.next_ask = now;
}

void SubscriptionWatch::clear() {
  tracks_.clear();
  offered_.clear();
}

std::vector<SubscriptionWatch::Ask> SubscriptionWatch::due(Clock::time_point now) {
  std::vector<Ask> asks;
  for (auto& [sid, w] : tracks_) {
    if (w.offered || now < w.next_ask) continue;
    Ask a{sid, w.participant_sid, true, 0};
    if (w.unsubscribed) {
      // The second half of a resubscribe.
      w.unsubscribed = false;
      a.attempt = w.attempts;
    } else {
      a.attempt = ++w.attempts;
      // The first ask is a plain subscribe; later ones drop the track first.
      if (w.attempts > 1) {
        a.subscribe = false;
        w.unsubscribed = true;
        w.next_ask = now + options_.resubscribe_gap;
        asks.push_back(std::move(a));
        continue;
      }
    }
    w.interval = std::min(w.interval * 2, options_.max_interval);
    w.next_ask = now + w.interval;
    asks.push_back(std::move(a));
  }
  return asks;
}

std::vector<std::string> SubscriptionWatch::missing() const {
  std::vector<std::string> out;
  for (const auto& [sid, w] : tracks_) {
    if (!w.offered) out.push_back(sid);
  }
  return out;
}

}  // namespace parley::livekit
