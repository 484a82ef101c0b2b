// What parley knows about one call: who called whom, in which room, since when, and which
// participant is parley's own agent there.
#pragma once

#include <chrono>
#include <string>

#include "core/log.h"
#include "livekit/webhook/webhook_event.h"
#include "service/number_masking.h"

namespace parley::service {

struct CallRecord {
  std::string call_id;          // sip.callID for a phone call; "call-<participant sid>" otherwise
  std::string sip_call_id;      // sip.callID ("" when not a phone call)
  std::string direction;        // "inbound" (a phone called in), "outbound" (parley call), "" (not a phone call)
  std::string caller_number;    // who called: the phone's number inbound, the trunk's number outbound
  std::string called_number;    // who was called: the trunk's number inbound, the phone's number outbound
  std::string room;             // room name
  std::string room_sid;
  std::string caller_identity;  // the participant the agent talks to
  std::string caller_sid;
  bool phone_call = false;      // the caller is a SIP participant
  std::chrono::system_clock::time_point start_time;
  std::string agent_participant_id;  // filled when the agent's own participant joins the room
};

// A call record for a participant that needs an agent (from participant_joined).
CallRecord make_call_record(const livekit::webhook::WebhookEvent& joined, std::chrono::system_clock::time_point now);

// The call's logger: every line carries call_id and room, and for a phone call the two
// numbers. With `mask` (calls.mask_numbers) the numbers are masked in those fields and wherever
// else they appear in the call's lines — the caller's identity, the room name — whichever
// layer writes the line (the room's media and signal logs take this logger too).
log::Logger call_logger(const CallRecord& record, bool mask);

}  // namespace parley::service
