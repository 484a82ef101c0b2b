// livekit.SIP: trunks, dispatch rules, outbound calls and transfers. Trunks and rules live in
// the server's Redis, so these work without the SIP bridge; calls need the bridge.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "livekit/api/api_types.h"
#include "livekit/api/twirp_client.h"

namespace parley::livekit {

struct CreateInboundTrunkOptions {
  std::string name, metadata;
  std::vector<std::string> numbers, allowed_addresses, allowed_numbers;
  std::string auth_username, auth_password;
};

struct CreateOutboundTrunkOptions {
  std::string name, metadata;
  std::string address;    // SIP provider host[:port]
  std::string transport;  // "", udp, tcp, tls
  std::vector<std::string> numbers;
  std::string auth_username, auth_password;
};

struct CreateDispatchRuleOptions {
  std::string name, metadata;
  std::string kind = "individual";  // direct, individual, callee
  std::string room;                 // direct: room name; otherwise the room prefix
  std::string pin;
  std::vector<std::string> trunk_ids;
  std::vector<std::string> agent_names;  // agents to dispatch into the call's room
  bool hide_phone_number = false;
};

// UpdateSIPInboundTrunk's "update" action: only the fields given change; an empty list clears.
struct InboundTrunkUpdate {
  std::optional<std::vector<std::string>> numbers, allowed_addresses;
  std::optional<std::string> auth_username, auth_password;
};

struct CreateSipParticipantOptions {
  std::string sip_trunk_id, sip_call_to, room_name, participant_identity, participant_name, dtmf;
  std::map<std::string, std::string> participant_attributes;
  bool wait_until_answered = false;
};

class SipClient {
 public:
  explicit SipClient(TwirpClient& twirp) : twirp_(twirp) {}

  Result<SipInboundTrunk> create_inbound_trunk(const CreateInboundTrunkOptions& options);
  Result<std::vector<SipInboundTrunk>> list_inbound_trunks();
  Result<SipInboundTrunk> update_inbound_trunk(const std::string& sip_trunk_id, const InboundTrunkUpdate& update);
  Result<SipOutboundTrunk> create_outbound_trunk(const CreateOutboundTrunkOptions& options);
  Result<std::vector<SipOutboundTrunk>> list_outbound_trunks();
  Status delete_trunk(const std::string& sip_trunk_id);  // inbound or outbound
  Result<SipDispatchRule> create_dispatch_rule(const CreateDispatchRuleOptions& options);
  Result<std::vector<SipDispatchRule>> list_dispatch_rules();
  // UpdateSIPDispatchRule's "replace" action (its "update" action cannot change room_config):
  // `base` is the rule as listed, so fields parley does not manage (metadata, attributes, media,
  // hide_phone_number, other room_config keys) are kept; the options' rule, trunk ids, name and
  // agents replace the base's.
  Result<SipDispatchRule> replace_dispatch_rule(const std::string& sip_dispatch_rule_id,
                                                const CreateDispatchRuleOptions& options, const nlohmann::json& base);
  Status delete_dispatch_rule(const std::string& sip_dispatch_rule_id);
  Result<SipParticipant> create_sip_participant(const CreateSipParticipantOptions& options);
  Status transfer_sip_participant(const std::string& room, const std::string& identity, const std::string& transfer_to,
                                  bool play_dialtone = false);

 private:
  TwirpClient& twirp_;
};

}  // namespace parley::livekit
