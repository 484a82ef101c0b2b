#include "livekit/room/reconnect_policy.h"

namespace parley::livekit {

namespace lk = ::livekit;

std::string_view to_string(Recovery r) {
  switch (r) {
    case Recovery::kNone: return "none";
    case Recovery::kFailJoin: return "fail_join";
    case Recovery::kResume: return "resume";
    case Recovery::kFullRejoin: return "full_rejoin";
    case Recovery::kRetryRejoin: return "retry_rejoin";
    case Recovery::kDisconnect: return "disconnect";
  }
  return "none";
}

namespace reconnect_policy {

Recovery on_signal_lost(const ConnectionState& s) {
  if (s.closed || s.reconnecting) return Recovery::kNone;
  if (!s.connected) return Recovery::kFailJoin;
  if (s.resume_disabled) return Recovery::kFullRejoin;
  return Recovery::kResume;
}

Recovery on_connect_failed(const ConnectionState& s) {
  if (s.closed) return Recovery::kNone;
  if (!s.connected) return Recovery::kFailJoin;
  // The resume was refused (or the server is away): start over with a full join.
  if (s.reconnecting) return Recovery::kFullRejoin;
  if (s.rejoining) return Recovery::kRetryRejoin;
  return Recovery::kNone;
}

Recovery on_media_failed(const ConnectionState& s) {
  if (s.closed || !s.connected || s.reconnecting || s.rejoining) return Recovery::kNone;
  return Recovery::kFullRejoin;
}

Recovery on_server_leave(const ConnectionState& s, lk::LeaveRequest::Action action) {
  if (s.closed) return Recovery::kNone;
  if (action == lk::LeaveRequest::RESUME) return on_signal_lost(s);
  if (action == lk::LeaveRequest::RECONNECT) return Recovery::kFullRejoin;
  return Recovery::kDisconnect;
}

}  // namespace reconnect_policy
}  // namespace parley::livekit
