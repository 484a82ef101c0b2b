// Which subscribed audio track carries the caller, across the room's reconnections.
//
// The caller is the admitted identity (or, when none is named, the first participant that is
// not an agent) with its first subscribed audio track. When livekit-server restarts, the room
// rejoins: the caller's track is unsubscribed, and the caller, rejoining too, publishes a new
// track with a new sid. The caller stays the same person, so its identity's next audio track
// becomes the caller's audio; any other participant's track never does.
#pragma once

#include <optional>
#include <string>

#include "agent/call_room.h"
#include "livekit/room/room.h"

namespace parley::agent {

class CallerTrack {
 public:
  CallerTrack(std::string agent_identity, std::string wanted_identity)
      : agent_identity_(std::move(agent_identity)), wanted_identity_(std::move(wanted_identity)) {}

  enum class Change {
    kNone,      // not the caller's audio
    kFound,     // the caller is known from now on (its first track)
    kReplaced,  // the known caller's new track (after a rejoin or a republish)
  };
  Change on_subscribed(const livekit::RemoteTrack& track, livekit::ParticipantKind kind);
  // True when it was the caller's current track: its audio ends here.
  bool on_unsubscribed(const livekit::RemoteTrack& track);

  bool is_caller_audio(const std::string& track_sid) const { return !sid_.empty() && track_sid == sid_; }
  const std::optional<RemoteCaller>& caller() const { return caller_; }
  const std::string& sid() const { return sid_; }  // "" while the caller has no track

 private:
  std::string agent_identity_;
  std::string wanted_identity_;
  std::optional<RemoteCaller> caller_;
  std::string sid_;
};

}  // namespace parley::agent
