// What the call reconciler saw on the LiveKit server at one moment: every room and who is in it,
// read through the server API (RoomService ListRooms / ListParticipants). CallAdmission compares
// it with its calls and queue (call_admission.h); call_reconciler.h takes it.
#pragma once

#include <vector>

#include "core/clock.h"
#include "livekit/webhook/webhook_event.h"

namespace parley::service {

struct RoomSnapshot {
  livekit::webhook::RoomInfo room;
  std::vector<livekit::webhook::ParticipantInfo> participants;
  // false: its ListParticipants failed, so nothing is concluded about who is absent from it.
  bool listed = true;
};

struct ServerSnapshot {
  // When the listing began (the admission's clock). Anything admission learned after this
  // (a queued caller that joined later) is newer than the snapshot and not judged by it.
  Clock::time_point taken_at;
  std::vector<RoomSnapshot> rooms;  // every room on the server
};

}  // namespace parley::service
