// Watches the server API during diagnose's test call: which room the call went into, and when
// the bridge's SIP participant and an agent joined it. The call's room is found by its SIP
// participant, whose sip.callIDFull attribute is the INVITE's Call-ID (livekit-sip v1.11.0,
// pkg/sip/types.go HeadersToAttrs): with an individual rule the room is <prefix>_<caller>_<random>,
// so the name alone cannot be predicted.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "livekit/api/twirp_client.h"

namespace parley::diagnose {

struct RoomObservation {
  std::optional<double> room_seen;  // seconds since the INVITE (first poll that saw it)
  std::string room;
  std::optional<double> sip_joined;
  std::string sip_identity;
  std::map<std::string, std::string> sip_attributes;  // sip.ruleID, sip.trunkID, ...
  std::optional<double> agent_joined;
  std::string agent_identity;
  std::string api_error;  // the last error from the server API, if any
};

class RoomWatch {
 public:
  // api may be null (no server API): nothing is observed. started_unix_ms: when the INVITE was
  // sent, in unix milliseconds: rooms created before it are not the call's, and the server's
  // creation/join times (creation_time_ms, joined_at_ms) are turned into times since the INVITE.
  RoomWatch(livekit::TwirpClient* api, std::string call_id, std::string caller, std::string agent_identity,
            int64_t started_unix_ms);
  // One look at the server (a few API calls); `now` is seconds since the INVITE.
  void poll(double now);
  const RoomObservation& seen() const { return seen_; }
  bool done() const { return seen_.agent_joined.has_value(); }

 private:
  void look_into(const std::string& room, double now, const nlohmann::json& room_raw);
  // The server's time `field` (unix ms, a string in protojson) of raw as seconds since the
  // INVITE, within [0, now]; `now` when absent.
  double since_invite(const nlohmann::json& raw, const char* field, double now) const;
  livekit::TwirpClient* api_;
  std::string call_id_, caller_, agent_identity_;
  int64_t started_unix_ms_;
  std::set<std::string> others_;  // rooms that belong to other calls
  RoomObservation seen_;
};

}  // namespace parley::diagnose
