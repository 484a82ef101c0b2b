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
  r.sip_call_id = attr("sip.callID");
  r.call_id = r.sip_call_id;
  if (r.phone_call) {
    // sip.phoneNumber is the number outside LiveKit (the caller inbound, the callee outbound)
    // and sip.trunkPhoneNumber the trunk's. Only an inbound call went through a dispatch rule.
    const bool inbound = !attr("sip.ruleID").empty();
    r.direction = inbound ? "inbound" : "outbound";
    r.caller_number = attr(inbound ? "sip.phoneNumber" : "sip.trunkPhoneNumber");
    r.called_number = attr(inbound ? "sip.trunkPhoneNumber" : "sip.phoneNumber");
  }
  if (r.call_id.empty()) r.call_id = "call-" + (p.sid.empty() ? r.room + "-" + p.identity : p.sid);
  return r;
}

log::Logger call_logger(const CallRecord& r, bool mask) {
  const std::vector<std::string> numbers = {r.caller_number, r.called_number};
  auto shown = [&](const std::string& text) { return mask ? mask_phone_numbers(text, numbers) : text; };
  auto logger = log::Logger::for_call(r.call_id, shown(r.room));
  if (r.phone_call) {
    logger = logger.with("caller_number", mask ? mask_number(r.caller_number) : r.caller_number)
                 .with("called_number", mask ? mask_number(r.called_number) : r.called_number);
  }
  if (!mask) return logger;
  // Whole texts first (the identity and room with a short number in them), then the numbers
  // themselves wherever else they turn up.
  std::vector<std::pair<std::string, std::string>> masks = {{r.room, shown(r.room)},
                                                            {r.caller_identity, shown(r.caller_identity)}};
  for (const auto& n : numbers) {
    if (n.size() >= 8) masks.emplace_back(n, mask_number(n));
  }
  return logger.masking(masks);
}

}  // namespace parley::service
