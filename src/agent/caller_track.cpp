#include "agent/caller_track.h"

namespace parley::agent {

CallerTrack::Change CallerTrack::on_subscribed(const livekit::RemoteTrack& track, livekit::ParticipantKind kind) {
  if (!track.audio) return Change::kNone;
  if (caller_) {
    if (track.participant_identity != caller_->identity || track.sid == sid_) return Change::kNone;
    sid_ = track.sid;
    caller_->track_sid = track.sid;
    return Change::kReplaced;
  }
  if (track.participant_identity == agent_identity_ || kind == livekit::ParticipantKind::kAgent) return Change::kNone;
  if (!wanted_identity_.empty() && track.participant_identity != wanted_identity_) return Change::kNone;
  caller_ = RemoteCaller();
  caller_->identity = track.participant_identity;
  caller_->track_sid = track.sid;
  caller_->sip = kind == livekit::ParticipantKind::kSip;
  sid_ = track.sid;
  return Change::kFound;
}

bool CallerTrack::on_unsubscribed(const livekit::RemoteTrack& track) {
  if (sid_.empty() || track.sid != sid_) return false;
  sid_.clear();  // the caller stays known: its next track takes over
  return true;
}

}  // namespace parley::agent
