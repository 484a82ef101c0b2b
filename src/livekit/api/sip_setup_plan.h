// `parley sip setup` as a pure function: given the trunks and rules on the server and parley's
// sip: configuration, what to create, what to update and what is already right. parley's own
// trunk and rule are the ones with the configured names; everything else is left alone, but a
// trunk or rule that would make the server refuse parley's (the same number on another trunk,
// another rule bound to parley's trunk, two with parley's name) stops the setup with a fix.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "livekit/api/api_types.h"
#include "livekit/api/sip_client.h"

namespace parley::livekit {

// What parley's configuration asks of LiveKit SIP.
struct SipDesired {
  std::string trunk_name;
  std::vector<std::string> numbers;  // E.164
  std::vector<std::string> allowed_addresses;
  std::string auth_username, auth_password;
  std::string rule_name, room_prefix;
  std::vector<std::string> agent_names;  // [agent.agent_name], or none for the default dispatch
};

SipDesired sip_desired(const Config& config);

enum class SetupAction { kCreate, kUpdate, kUnchanged };
std::string_view to_string(SetupAction action);  // "created", "updated", "unchanged"

struct SetupProblem {
  std::string message, fix;
};

struct TrunkPlan {
  SetupAction action = SetupAction::kCreate;
  std::string id;                    // the existing trunk's id (update, unchanged)
  std::vector<std::string> changes;  // what differs, worded for the operator; never a password
  InboundTrunkUpdate update;         // the fields to send (update)
};

struct RulePlan {
  SetupAction action = SetupAction::kCreate;
  std::string id;
  std::vector<std::string> changes;
  nlohmann::json base;  // the existing rule as listed (update keeps what parley does not manage)
};

struct SetupPlan {
  TrunkPlan trunk;
  RulePlan rule;
  std::vector<SetupProblem> problems;  // non-empty: change nothing, print these
};

SetupPlan plan_sip_setup(const SipDesired& want, const std::vector<SipInboundTrunk>& trunks,
                         const std::vector<SipDispatchRule>& rules);
// The rule alone, once the trunk's id is known ("" while the trunk is still to be created).
RulePlan plan_dispatch_rule(const SipDesired& want, const std::vector<SipDispatchRule>& rules,
                            const std::string& trunk_id);

CreateInboundTrunkOptions inbound_trunk_options(const SipDesired& want);
CreateDispatchRuleOptions dispatch_rule_options(const SipDesired& want, const std::string& trunk_id);

// Shared with `parley sip status`.
std::string format_list(const std::vector<std::string>& v, std::string_view empty = "none");
bool same_set(std::vector<std::string> a, std::vector<std::string> b);
// The number in E.164 when it is one, else as written (so odd spellings still compare).
std::string e164_or_raw(const std::string& number);
// The trunks or rules with this name: parley's own, normally exactly one.
template <class T>
std::vector<const T*> named(const std::vector<T>& items, const std::string& name) {
  std::vector<const T*> out;
  for (const auto& i : items) {
    if (i.name == name) out.push_back(&i);
  }
  return out;
}
// "'name' (ID)"
std::string describe(const std::string& name, const std::string& id);

}  // namespace parley::livekit
