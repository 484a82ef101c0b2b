// Typed views of the server API's JSON answers (snake_case protojson; int64 arrive as strings).
// Each keeps the whole answer in `raw` for fields not modelled here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::livekit {

struct Room {
  std::string sid, name, metadata;
  uint32_t empty_timeout = 0, departure_timeout = 0, max_participants = 0;
  uint32_t num_participants = 0, num_publishers = 0;
  int64_t creation_time = 0;  // unix seconds
  nlohmann::json raw;
};

struct ParticipantInfo {
  std::string sid, identity, name, metadata;
  std::string state;  // JOINING, JOINED, ACTIVE, DISCONNECTED
  std::string kind;   // STANDARD, AGENT, SIP, …
  int64_t joined_at = 0;
  std::map<std::string, std::string> attributes;
  nlohmann::json raw;
};

struct SipInboundTrunk {
  std::string sip_trunk_id, name, metadata, auth_username, auth_password;
  std::vector<std::string> numbers, allowed_addresses, allowed_numbers;
  nlohmann::json raw;
};

struct SipOutboundTrunk {
  std::string sip_trunk_id, name, metadata, address, transport, auth_username, auth_password;
  std::vector<std::string> numbers;
  nlohmann::json raw;
};

struct SipDispatchRule {
  std::string sip_dispatch_rule_id, name, metadata;
  std::string kind;         // direct, individual, callee
  std::string room;         // direct: room name; individual/callee: room prefix
  std::string pin;
  std::vector<std::string> trunk_ids;
  std::vector<std::string> agent_names;  // room_config.agents[].agent_name
  bool hide_phone_number = false;
  std::map<std::string, std::string> attributes;
  nlohmann::json raw;
};

struct AgentDispatch {
  std::string id, agent_name, room, metadata;
  int64_t created_at = 0;  // unix nanoseconds (state.created_at), 0 when absent
  nlohmann::json raw;
};

struct SipParticipant {
  std::string participant_id, participant_identity, room_name, sip_call_id;
  nlohmann::json raw;
};

Room room_from_json(const nlohmann::json& j);
ParticipantInfo participant_from_json(const nlohmann::json& j);
SipInboundTrunk inbound_trunk_from_json(const nlohmann::json& j);
SipOutboundTrunk outbound_trunk_from_json(const nlohmann::json& j);
SipDispatchRule dispatch_rule_from_json(const nlohmann::json& j);
AgentDispatch agent_dispatch_from_json(const nlohmann::json& j);
SipParticipant sip_participant_from_json(const nlohmann::json& j);

// Readers tolerant of protojson's shapes: missing -> default, int64 as string or number.
std::string json_string(const nlohmann::json& j, const char* key);
int64_t json_int(const nlohmann::json& j, const char* key);
bool json_bool(const nlohmann::json& j, const char* key);
std::vector<std::string> json_strings(const nlohmann::json& j, const char* key);
std::map<std::string, std::string> json_string_map(const nlohmann::json& j, const char* key);

}  // namespace parley::livekit
