// Which subscribed track each m-section of a LiveKit subscriber offer carries. LiveKit writes
// `a=msid:<PA_sid>|<TR_sid> <TR_sid>` (livekit-protocol.md §2.8); RTP arrives tagged with the
// m-section's mid, so mid -> (participant sid, track sid) maps packets to tracks. Sections that
// are rejected (port 0) or inactive carry nothing.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace parley::livekit {

struct SdpTrack {
  std::string participant_sid;
  std::string track_sid;
  std::string kind;  // "audio" / "video"
};

// mid -> track, for the m-sections that carry a track; malformed lines are skipped.
std::map<std::string, SdpTrack> sdp_tracks(std::string_view sdp);

}  // namespace parley::livekit
