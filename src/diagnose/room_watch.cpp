#include "diagnose/room_watch.h"

#include <algorithm>

#include "livekit/api/room_service_client.h"

namespace parley::diagnose {

RoomWatch::RoomWatch(livekit::TwirpClient* api, std::string call_id, std::string caller, std::string agent_identity,
                     int64_t started_unix_ms)
    : api_(api),
      call_id_(std::move(call_id)),
      caller_(std::move(caller)),
      agent_identity_(std::move(agent_identity)),
      started_unix_ms_(started_unix_ms) {}

double RoomWatch::since_invite(const nlohmann::json& raw, const char* field, double now) const {
  if (!raw.is_object() || !raw.contains(field)) return now;
  const auto& v = raw[field];
  int64_t ms = 0;
  try {
    ms = v.is_string() ? std::stoll(v.get<std::string>()) : v.get<int64_t>();
  } catch (const std::exception&) {
    return now;
  }
  if (ms <= 0) return now;
  return std::clamp(double(ms - started_unix_ms_) / 1000.0, 0.0, now);
}

void RoomWatch::poll(double now) {
  if (!api_ || done()) return;
  if (!seen_.room.empty()) {
    look_into(seen_.room, now, nullptr);
    return;
  }
  livekit::RoomServiceClient rooms(*api_);
  auto list = rooms.list_rooms();
  if (!list) {
    seen_.api_error = list.error().message;
    return;
  }
  for (const auto& r : *list) {
    // creation_time has whole seconds; one second of slack for the rounding.
    if (others_.count(r.name) || (r.creation_time && r.creation_time < started_unix_ms_ / 1000 - 1)) continue;
    look_into(r.name, now, r.raw);
    if (!seen_.room.empty()) return;
  }
}

void RoomWatch::look_into(const std::string& room, double now, const nlohmann::json& room_raw) {
  livekit::RoomServiceClient rooms(*api_);
  auto participants = rooms.list_participants(room);
  if (!participants) {
    seen_.api_error = participants.error().message;
    return;
  }
  bool ours = !seen_.room.empty();
  for (const auto& p : *participants) {
    if (p.kind != "SIP") continue;
    auto cid = p.attributes.find("sip.callIDFull");
    auto phone = p.attributes.find("sip.phoneNumber");
    const bool match = cid != p.attributes.end() ? cid->second == call_id_
                                                 : phone != p.attributes.end() && phone->second == caller_;
    if (!match) continue;
    ours = true;
    if (!seen_.sip_joined) {
      seen_.sip_joined = since_invite(p.raw, "joined_at_ms", now);
      seen_.sip_identity = p.identity;
      seen_.sip_attributes = p.attributes;
    }
  }
  if (!ours) {
    // A room with another call's SIP participant is not ours; one without any yet may become ours.
    for (const auto& p : *participants) {
      if (p.kind == "SIP") others_.insert(room);
    }
    return;
  }
  if (seen_.room.empty()) {
    seen_.room = room;
    seen_.room_seen = since_invite(room_raw, "creation_time_ms", now);
  }
  for (const auto& p : *participants) {
    if (p.kind == "AGENT" || p.identity == agent_identity_) {
      seen_.agent_joined = since_invite(p.raw, "joined_at_ms", now);
      seen_.agent_identity = p.identity;
      return;
    }
  }
}

}  // namespace parley::diagnose
