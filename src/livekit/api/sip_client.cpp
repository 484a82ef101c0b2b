#include "livekit/api/sip_client.h"

namespace parley::livekit {
namespace {

using json = nlohmann::json;
constexpr std::string_view kService = "SIP";

void put(json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
void put(json& j, const char* key, const std::vector<std::string>& v) {
  if (!v.empty()) j[key] = v;
}

template <class T, class F>
std::vector<T> items(const json& res, F from) {
  std::vector<T> out;
  if (auto it = res.find("items"); it != res.end() && it->is_array()) {
    for (const auto& i : *it) out.push_back(from(i));
  }
  return out;
}

}  // namespace

Result<SipInboundTrunk> SipClient::create_inbound_trunk(const CreateInboundTrunkOptions& o) {
  json t = json::object();
  put(t, "name", o.name);
  put(t, "metadata", o.metadata);
  put(t, "numbers", o.numbers);
  put(t, "allowed_addresses", o.allowed_addresses);
  put(t, "allowed_numbers", o.allowed_numbers);
  put(t, "auth_username", o.auth_username);
  put(t, "auth_password", o.auth_password);
  auto res = twirp_.call(kService, "CreateSIPInboundTrunk", {{"trunk", t}}, grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return inbound_trunk_from_json(*res);
}

Result<std::vector<SipInboundTrunk>> SipClient::list_inbound_trunks() {
  auto res = twirp_.call(kService, "ListSIPInboundTrunk", json::object(), grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return items<SipInboundTrunk>(*res, inbound_trunk_from_json);
}

Result<SipInboundTrunk> SipClient::update_inbound_trunk(const std::string& id, const InboundTrunkUpdate& u) {
  if (id.empty()) return make_error(ErrorCode::kInvalidArgument, "trunk id must not be empty");
  // A ListUpdate either sets a non-empty list or clears it; an empty "set" is refused.
  auto list = [](const std::vector<std::string>& v) -> json {
    return v.empty() ? json{{"clear", true}} : json{{"set", v}};
  };
  json update = json::object();
  if (u.numbers) update["numbers"] = list(*u.numbers);
  if (u.allowed_addresses) update["allowed_addresses"] = list(*u.allowed_addresses);
  if (u.auth_username) update["auth_username"] = *u.auth_username;
  if (u.auth_password) update["auth_password"] = *u.auth_password;
  json req = {{"sip_trunk_id", id}, {"update", update}};
  auto res = twirp_.call(kService, "UpdateSIPInboundTrunk", req, grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return inbound_trunk_from_json(*res);
}

Result<SipOutboundTrunk> SipClient::create_outbound_trunk(const CreateOutboundTrunkOptions& o) {
  if (o.address.empty()) return make_error(ErrorCode::kInvalidArgument, "an outbound trunk needs an address");
  json t = json::object();
  put(t, "name", o.name);
  put(t, "metadata", o.metadata);
  put(t, "address", o.address);
  if (!o.transport.empty()) {
    std::string up;
    for (char c : o.transport) up += char(std::toupper(static_cast<unsigned char>(c)));
    t["transport"] = "SIP_TRANSPORT_" + up;
  }
  put(t, "numbers", o.numbers);
  put(t, "auth_username", o.auth_username);
  put(t, "auth_password", o.auth_password);
  auto res = twirp_.call(kService, "CreateSIPOutboundTrunk", {{"trunk", t}}, grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return outbound_trunk_from_json(*res);
}

Result<std::vector<SipOutboundTrunk>> SipClient::list_outbound_trunks() {
  auto res = twirp_.call(kService, "ListSIPOutboundTrunk", json::object(), grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return items<SipOutboundTrunk>(*res, outbound_trunk_from_json);
}

Status SipClient::delete_trunk(const std::string& id) {
  if (id.empty()) return make_error(ErrorCode::kInvalidArgument, "trunk id must not be empty");
  auto res = twirp_.call(kService, "DeleteSIPTrunk", {{"sip_trunk_id", id}}, grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return {};
}

namespace {

// The "rule" oneof of SIPDispatchRuleInfo for the options' kind.
Result<json> rule_json(const CreateDispatchRuleOptions& o) {
  json rule;
  if (o.kind == "direct") {
    if (o.room.empty()) return make_error(ErrorCode::kInvalidArgument, "a direct dispatch rule needs a room name");
    rule = {{"dispatch_rule_direct", {{"room_name", o.room}}}};
    if (!o.pin.empty()) rule["dispatch_rule_direct"]["pin"] = o.pin;
  } else if (o.kind == "individual" || o.kind == "callee") {
    std::string key = "dispatch_rule_" + o.kind;
    rule = {{key, {{"room_prefix", o.room}}}};
    if (!o.pin.empty()) rule[key]["pin"] = o.pin;
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "dispatch rule kind '" + o.kind + "' is not one of direct, individual, callee");
  }
  return rule;
}

json agents_json(const std::vector<std::string>& names) {
  json agents = json::array();
  for (const auto& a : names) agents.push_back({{"agent_name", a}});
  return agents;
}

}  // namespace

Result<SipDispatchRule> SipClient::create_dispatch_rule(const CreateDispatchRuleOptions& o) {
  auto rule = rule_json(o);
  if (!rule) return tl::unexpected(rule.error());
  json info = {{"rule", *rule}};
  put(info, "name", o.name);
  put(info, "metadata", o.metadata);
  put(info, "trunk_ids", o.trunk_ids);
  if (o.hide_phone_number) info["hide_phone_number"] = true;
  if (!o.agent_names.empty()) info["room_config"] = {{"agents", agents_json(o.agent_names)}};
  auto res = twirp_.call(kService, "CreateSIPDispatchRule", {{"dispatch_rule", info}}, grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return dispatch_rule_from_json(*res);
}

Result<SipDispatchRule> SipClient::replace_dispatch_rule(const std::string& id, const CreateDispatchRuleOptions& o,
                                                         const json& base) {
  if (id.empty()) return make_error(ErrorCode::kInvalidArgument, "dispatch rule id must not be empty");
  auto rule = rule_json(o);
  if (!rule) return tl::unexpected(rule.error());
  json info = base.is_object() ? base : json::object();
  info["rule"] = *rule;
  info["trunk_ids"] = o.trunk_ids;
  info["name"] = o.name;
  if (!info.contains("room_config") || !info["room_config"].is_object()) info["room_config"] = json::object();
  info["room_config"]["agents"] = agents_json(o.agent_names);
  json req = {{"sip_dispatch_rule_id", id}, {"replace", info}};
  auto res = twirp_.call(kService, "UpdateSIPDispatchRule", req, grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return dispatch_rule_from_json(*res);
}

Result<std::vector<SipDispatchRule>> SipClient::list_dispatch_rules() {
  auto res = twirp_.call(kService, "ListSIPDispatchRule", json::object(), grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return items<SipDispatchRule>(*res, dispatch_rule_from_json);
}

Status SipClient::delete_dispatch_rule(const std::string& id) {
  if (id.empty()) return make_error(ErrorCode::kInvalidArgument, "dispatch rule id must not be empty");
  auto res = twirp_.call(kService, "DeleteSIPDispatchRule", {{"sip_dispatch_rule_id", id}}, grant_sip_admin());
  if (!res) return tl::unexpected(res.error());
  return {};
}

Result<SipParticipant> SipClient::create_sip_participant(const CreateSipParticipantOptions& o) {
  if (o.sip_trunk_id.empty() || o.sip_call_to.empty() || o.room_name.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "a call needs a trunk id, a number to call and a room");
  }
  json req = {{"sip_trunk_id", o.sip_trunk_id}, {"sip_call_to", o.sip_call_to}, {"room_name", o.room_name}};
  put(req, "participant_identity", o.participant_identity);
  put(req, "participant_name", o.participant_name);
  put(req, "dtmf", o.dtmf);
  if (!o.participant_attributes.empty()) req["participant_attributes"] = o.participant_attributes;
  if (o.wait_until_answered) req["wait_until_answered"] = true;
  // Not idempotent: a retry after a timeout could ring the phone twice.
  auto res = twirp_.call(kService, "CreateSIPParticipant", req, grant_sip_call(), false);
  if (!res) return tl::unexpected(res.error());
  return sip_participant_from_json(*res);
}

Status SipClient::transfer_sip_participant(const std::string& room, const std::string& identity,
                                           const std::string& transfer_to, bool play_dialtone) {
  json req = {{"room_name", room}, {"participant_identity", identity}, {"transfer_to", transfer_to}};
  if (play_dialtone) req["play_dialtone"] = true;
  // Not idempotent: a retried REFER after a timeout could transfer the caller twice.
  auto res = twirp_.call(kService, "TransferSIPParticipant", req, grant_sip_call(room), false);
  if (!res) return tl::unexpected(res.error());
  return {};
}

}  // namespace parley::livekit
