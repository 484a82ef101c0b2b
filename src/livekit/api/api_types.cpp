#include "livekit/api/api_types.h"

#include <charconv>

namespace parley::livekit {

using json = nlohmann::json;

std::string json_string(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t json_int(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number()) return int64_t(it->get<double>());
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    int64_t v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  }
  return 0;
}

bool json_bool(const json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> json_strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> json_string_map(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return out;
  for (const auto& [k, v] : it->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

Room room_from_json(const json& j) {
  Room r;
  r.sid = json_string(j, "sid");
  r.name = json_string(j, "name");
  r.metadata = json_string(j, "metadata");
  r.empty_timeout = uint32_t(json_int(j, "empty_timeout"));
  r.departure_timeout = uint32_t(json_int(j, "departure_timeout"));
  r.max_participants = uint32_t(json_int(j, "max_participants"));
  r.num_participants = uint32_t(json_int(j, "num_participants"));
  r.num_publishers = uint32_t(json_int(j, "num_publishers"));
  r.creation_time = json_int(j, "creation_time");
  r.raw = j;
  return r;
}

ParticipantInfo participant_from_json(const json& j) {
  ParticipantInfo p;
  p.sid = json_string(j, "sid");
  p.identity = json_string(j, "identity");
  p.name = json_string(j, "name");
  p.metadata = json_string(j, "metadata");
  p.state = json_string(j, "state");
  p.kind = json_string(j, "kind");
  p.joined_at = json_int(j, "joined_at");
  p.attributes = json_string_map(j, "attributes");
  p.raw = j;
  return p;
}

SipInboundTrunk inbound_trunk_from_json(const json& j) {
  SipInboundTrunk t;
  t.sip_trunk_id = json_string(j, "sip_trunk_id");
  t.name = json_string(j, "name");
  t.metadata = json_string(j, "metadata");
  t.auth_username = json_string(j, "auth_username");
  t.auth_password = json_string(j, "auth_password");
  t.numbers = json_strings(j, "numbers");
  t.allowed_addresses = json_strings(j, "allowed_addresses");
  t.allowed_numbers = json_strings(j, "allowed_numbers");
  t.raw = j;
  return t;
}

SipOutboundTrunk outbound_trunk_from_json(const json& j) {
  SipOutboundTrunk t;
  t.sip_trunk_id = json_string(j, "sip_trunk_id");
  t.name = json_string(j, "name");
  t.metadata = json_string(j, "metadata");
  t.address = json_string(j, "address");
  t.transport = json_string(j, "transport");
  t.auth_username = json_string(j, "auth_username");
  t.auth_password = json_string(j, "auth_password");
  t.numbers = json_strings(j, "numbers");
  t.raw = j;
  return t;
}

SipDispatchRule dispatch_rule_from_json(const json& j) {
  SipDispatchRule r;
  r.sip_dispatch_rule_id = json_string(j, "sip_dispatch_rule_id");
  r.name = json_string(j, "name");
  r.metadata = json_string(j, "metadata");
  r.trunk_ids = json_strings(j, "trunk_ids");
  r.hide_phone_number = json_bool(j, "hide_phone_number");
  r.attributes = json_string_map(j, "attributes");
  if (auto rule = j.find("rule"); rule != j.end() && rule->is_object()) {
    for (const char* kind : {"dispatch_rule_direct", "dispatch_rule_individual", "dispatch_rule_callee"}) {
      auto it = rule->find(kind);
      if (it == rule->end() || !it->is_object()) continue;
      r.kind = std::string(kind).substr(std::string("dispatch_rule_").size());
      r.room = r.kind == "direct" ? json_string(*it, "room_name") : json_string(*it, "room_prefix");
      r.pin = json_string(*it, "pin");
    }
  }
  if (auto rc = j.find("room_config"); rc != j.end() && rc->is_object()) {
    if (auto agents = rc->find("agents"); agents != rc->end() && agents->is_array()) {
      for (const auto& a : *agents) r.agent_names.push_back(json_string(a, "agent_name"));
    }
  }
  r.raw = j;
  return r;
}

AgentDispatch agent_dispatch_from_json(const json& j) {
  AgentDispatch d;
  d.id = json_string(j, "id");
  d.agent_name = json_string(j, "agent_name");
  d.room = json_string(j, "room");
  d.metadata = json_string(j, "metadata");
  if (j.contains("state") && j["state"].is_object()) d.created_at = json_int(j["state"], "created_at");
  d.raw = j;
  return d;
}

SipParticipant sip_participant_from_json(const json& j) {
  SipParticipant p;
  p.participant_id = json_string(j, "participant_id");
  p.participant_identity = json_string(j, "participant_identity");
  p.room_name = json_string(j, "room_name");
  p.sip_call_id = json_string(j, "sip_call_id");
  p.raw = j;
  return p;
}

}  // namespace parley::livekit
