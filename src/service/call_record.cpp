#include "service/call_record.h"

namespace parley::service {

CallRecord make_call_record(const livekit::webhook::WebhookEvent& joined, std::chrono::system_clock::time_point now) {
  CallRecord r;
  const auto& p = *joined.participant;
  r.room = joined.room_name();
  if (joined.room) r.room_sid = joined.room->sid;
  r.caller_identity = p.identity;
  r.caller_sid = p.sid;
  r.start_time = now;
  auto attr = [&](const char* key) -> std::string {
    auto it = p.attributes.find(key);
    return it == p.attributes.end() ? std::string() : it->second;
  };
  // LiveKit's SIP bridge joins callers as kind SIP with these attributes (protocol notes §7).
  r.phone_call = p.kind == livekit::webhook::ParticipantKind::kSip || !attr("sip.callID").empty();
  r.call_id = attr("sip.callID");
  r.caller_number = attr("sip.phoneNumber");
  r.called_number = attr("sip.trunkPhoneNumber");
  if (r.call_id.empty()) r.call_id = "call-" + (p.sid.empty() ? r.room + "-" + p.identity : p.sid);
  return r;
}

std::string mask_number(const std::string& number) {
  if (number.size() < 8) return std::string(number.size(), '*');
  return number.substr(0, 5) + "***" + number.substr(number.size() - 4);
}

}  // namespace parley::service
