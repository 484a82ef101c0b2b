// What a room does when its connection to the server fails: a decision from the room's state,
// kept apart from the doing (room.cpp) so the rules read in one place:
//   - before the first join completed, any failure fails (or retries) the join;
//   - a lost signal connection resumes the session (same PeerConnections), unless the server
//     disabled resuming, when the room rejoins in full;
//   - a refused resume, or a media connection that failed, rejoins in full;
//   - a failed try of a full rejoin waits and tries again (rejoin_schedule.h: core/backoff,
//     livekit.rejoin_attempts tries), unless the failure will not pass by itself (401, 403, 404:
//     Error::retryable false), when the room ends.
// Pure functions; the room calls them on its media loop.
#pragma once

#include <string_view>

#include "livekit/proto/livekit_rtc.pb.h"

namespace parley::livekit {

struct ConnectionState {
  bool closed = false;           // left or ended: nothing more to do
  bool connected = false;        // the first join completed
  bool reconnecting = false;     // a resume is under way
  bool rejoining = false;        // a full rejoin is under way
  bool resume_disabled = false;  // the server's client configuration forbids resuming
};

enum class Recovery {
  kNone,        // nothing to do (closed, or already recovering)
  kFailJoin,    // the first join failed (it may retry: RoomOptions::join_attempts)
  kResume,      // reopen the signal connection with the session's sid
  kFullRejoin,  // drop the session and join from scratch
  kRetryRejoin, // a rejoin's try failed: try again after the backoff
  kDisconnect,  // the room is gone for good
};
std::string_view to_string(Recovery r);

namespace reconnect_policy {

// The signal connection dropped (or the server asked us to resume).
Recovery on_signal_lost(const ConnectionState& s);
// Opening a signal connection failed.
Recovery on_connect_failed(const ConnectionState& s);
// The subscriber or publisher PeerConnection failed.
Recovery on_media_failed(const ConnectionState& s);
// The server sent leave: RESUME, RECONNECT, or (DISCONNECT) the end.
Recovery on_server_leave(const ConnectionState& s, ::livekit::LeaveRequest::Action action);

}  // namespace reconnect_policy
}  // namespace parley::livekit
