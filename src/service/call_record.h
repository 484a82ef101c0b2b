// What parley knows about one call: who called whom, in which room, since when, and which
// participant is parley's own agent there.
#pragma once

#include <chrono>
#include <string>

#include "livekit/webhook/webhook_event.h"

namespace parley::service {

struct CallRecord {
  std::string call_id;          // sip.callID for a phone call; "call-<participant sid>" otherwise
  std::string caller_number;    // sip.phoneNumber ("" when not a phone call)
  std::string called_number;    // sip.trunkPhoneNumber
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

// "+15551234567" -> "+1555***4567" (calls.mask_numbers), short numbers fully masked.
std::string mask_number(const std::string& number);

}  // namespace parley::service
