#include "livekit/api/sip_status.h"

#include <algorithm>

#include "core/ip_range.h"

namespace parley::livekit {
namespace {

const std::string kSetup = "parley sip setup";

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// True when one of the trunk's ranges admits every address of `wanted`. LiveKit skips entries
// it cannot parse, as is done here.
bool admitted(const std::vector<std::string>& trunk_ranges, const std::string& wanted) {
  auto w = parse_ip_range(wanted);
  if (!w) return true;  // the configuration check reports it
  for (const auto& t : trunk_ranges) {
    auto r = parse_ip_range(t);
    if (r && r->contains(*w)) return true;
  }
  return false;
}

void check_trunk(const SipDesired& w, const SipInboundTrunk& t, std::vector<SipFinding>& out) {
  const std::string who = "trunk " + describe(t.name, t.sip_trunk_id);
  std::vector<std::string> missing, extra;
  for (const auto& n : w.numbers) {
    if (!contains(t.numbers, n)) missing.push_back(n);
  }
  for (const auto& n : t.numbers) {
    if (!contains(w.numbers, n)) extra.push_back(n);
  }
  if (!missing.empty()) out.push_back({who + " lacks " + format_list(missing), kSetup});
  if (!extra.empty()) {
    out.push_back({who + " also has " + format_list(extra) + ", which sip.inbound_trunk.numbers does not list",
                   kSetup + " (or add them to sip.inbound_trunk.numbers)"});
  }
  if (!t.allowed_addresses.empty()) {
    for (const auto& a : w.allowed_addresses) {
      if (admitted(t.allowed_addresses, a)) continue;
      out.push_back({who + " accepts calls only from " + format_list(t.allowed_addresses) + ", so it refuses the provider's " + a,
                     kSetup});
    }
    if (w.allowed_addresses.empty()) {
      out.push_back({who + " accepts calls only from " + format_list(t.allowed_addresses) +
                         ", but sip.inbound_trunk.allowed_addresses is empty",
                     "list the provider's signalling addresses in sip.inbound_trunk.allowed_addresses, then " + kSetup});
    }
  } else if (!w.allowed_addresses.empty()) {
    out.push_back({who + " accepts calls from any address, not only " + format_list(w.allowed_addresses), kSetup});
  }
  for (const auto& a : t.allowed_addresses) {
    if (!w.allowed_addresses.empty() && !admitted(w.allowed_addresses, a)) {
      out.push_back({who + " also accepts " + a + ", which sip.inbound_trunk.allowed_addresses does not list", kSetup});
    }
  }
  bool trunk_auth = !t.auth_username.empty() || !t.auth_password.empty();
  bool want_auth = !w.auth_username.empty();
  if (trunk_auth && !want_auth) {
    out.push_back({who + " asks callers for digest auth (user '" + t.auth_username +
                       "'), but parley's configuration has none: a provider that sends no password is refused",
                   "set sip.inbound_trunk.auth_username and PARLEY_SIP_AUTH_PASSWORD to what the provider sends, or "
                   "run " + kSetup + " to remove auth from the trunk"});
  } else if (!trunk_auth && want_auth) {
    out.push_back({who + " asks for no auth, but sip.inbound_trunk.auth_username is '" + w.auth_username +
                       "': calls are accepted without a password",
                   kSetup});
  } else if (trunk_auth) {
    if (t.auth_username != w.auth_username) {
      out.push_back({who + " expects auth user '" + t.auth_username + "', not sip.inbound_trunk.auth_username '" +
                         w.auth_username + "'",
                     kSetup});
    }
    if (t.auth_password != w.auth_password) {
      out.push_back({who + "'s auth password differs from sip.inbound_trunk.auth_password: the provider's calls are "
                           "refused if it sends the configured one",
                     kSetup});
    }
  }
}

void check_rule(const SipDesired& w, const SipDispatchRule& r, const std::string& trunk_id, bool ours,
                std::vector<SipFinding>& out) {
  const std::string who = "dispatch rule " + describe(r.name, r.sip_dispatch_rule_id);
  if (ours) {
    if (r.kind != "individual") {
      out.push_back({who + " is a " + r.kind + " rule, not an individual room per caller", kSetup});
    } else if (r.room != w.room_prefix) {
      out.push_back({who + " uses room prefix '" + r.room + "', not sip.dispatch_rule.room_prefix '" + w.room_prefix + "'",
                     kSetup});
    }
    if (!trunk_id.empty() && !(r.trunk_ids.size() == 1 && r.trunk_ids.front() == trunk_id)) {
      out.push_back({who + " is bound to trunks " + format_list(r.trunk_ids, "any") + ", not only to parley's " + trunk_id,
                     kSetup});
    }
  }
  if (w.agent_names.empty() && !r.agent_names.empty()) {
    out.push_back({who + " dispatches agent " + format_list(r.agent_names) +
                       ", but agent.agent_name is empty: those rooms get no default agent",
                   "set agent.agent_name to '" + r.agent_names.front() + "' if that is parley, else " + kSetup});
  } else if (!w.agent_names.empty() && !r.agent_names.empty() && !contains(r.agent_names, w.agent_names.front())) {
    out.push_back({who + " dispatches agent " + format_list(r.agent_names) + ", not parley's '" + w.agent_names.front() + "'",
                   ours ? kSetup : "delete it (parley sip dispatch delete " + r.sip_dispatch_rule_id + "), then " + kSetup});
  } else if (ours && !w.agent_names.empty() && r.agent_names.empty()) {
    out.push_back({who + " dispatches the default agent, not parley's '" + w.agent_names.front() + "'", kSetup});
  }
}

}  // namespace

std::vector<SipFinding> check_sip_status(const SipDesired& w, const std::vector<SipInboundTrunk>& trunks,
                                         const std::vector<SipDispatchRule>& rules) {
  std::vector<SipFinding> out;
  if (w.numbers.empty() && w.allowed_addresses.empty() && w.auth_username.empty()) {
    out.push_back({"sip.inbound_trunk has no numbers, allowed addresses or auth configured",
                   "set sip.inbound_trunk.numbers (and the provider's allowed_addresses) in parley.yaml"});
  }
  auto my_trunks = named(trunks, w.trunk_name);
  const SipInboundTrunk* mine = my_trunks.empty() ? nullptr : my_trunks.front();
  if (my_trunks.size() > 1) {
    out.push_back({std::to_string(my_trunks.size()) + " inbound trunks are named '" + w.trunk_name + "'",
                   "delete all but one with parley sip trunk delete ID"});
  }
  // Every configured number on parley's trunk and on no other, compared in E.164 so "8 495…"
  // on another trunk counts as "+7495…".
  for (const auto& n : w.numbers) {
    bool held = false;
    for (const auto& t : trunks) {
      bool has = std::any_of(t.numbers.begin(), t.numbers.end(), [&](const auto& tn) { return e164_or_raw(tn) == n; });
      held |= has;
      if (!has || t.name == w.trunk_name) continue;
      out.push_back({n + " is on trunk " + describe(t.name, t.sip_trunk_id) + ", not only on parley's '" + w.trunk_name +
                         "': which trunk takes a call depends on how the provider spells the number",
                     "delete that trunk (parley sip trunk delete " + t.sip_trunk_id + "), then " + kSetup});
    }
    if (held) continue;
    // A trunk without numbers takes calls to any number no other trunk lists.
    auto catch_all = std::find_if(trunks.begin(), trunks.end(), [](const auto& t) { return t.numbers.empty(); });
    out.push_back({"no inbound trunk has " + n +
                       (catch_all == trunks.end()
                            ? std::string(": the SIP bridge refuses calls to it")
                            : ": only the catch-all trunk " + describe(catch_all->name, catch_all->sip_trunk_id) +
                                  " would take them"),
                   kSetup});
  }
  if (!mine) {
    out.push_back({"no inbound trunk is named '" + w.trunk_name + "'", kSetup});
  } else {
    check_trunk(w, *mine, out);
  }

  const std::string trunk_id = mine ? mine->sip_trunk_id : "";
  auto my_rules = named(rules, w.rule_name);
  const SipDispatchRule* my_rule = my_rules.empty() ? nullptr : my_rules.front();
  if (my_rules.size() > 1) {
    out.push_back({std::to_string(my_rules.size()) + " dispatch rules are named '" + w.rule_name + "'",
                   "delete all but one with parley sip dispatch delete ID"});
  }
  if (!my_rule) out.push_back({"no dispatch rule is named '" + w.rule_name + "'", kSetup});
  // The rules that can take calls arriving on parley's trunk: bound to it, or to any trunk.
  bool any_for_trunk = false;
  for (const auto& r : rules) {
    bool ours = my_rule && r.sip_dispatch_rule_id == my_rule->sip_dispatch_rule_id;
    bool serves = r.trunk_ids.empty() || (!trunk_id.empty() && contains(r.trunk_ids, trunk_id));
    if (serves) any_for_trunk = true;
    if (ours || serves) check_rule(w, r, trunk_id, ours, out);
    if (!ours && !trunk_id.empty() && contains(r.trunk_ids, trunk_id)) {
      out.push_back({"dispatch rule " + describe(r.name, r.sip_dispatch_rule_id) + " also takes calls on parley's trunk " +
                         trunk_id,
                     "delete it with parley sip dispatch delete " + r.sip_dispatch_rule_id});
    }
  }
  if (mine && !any_for_trunk) {
    out.push_back({"no dispatch rule takes calls on trunk " + describe(mine->name, trunk_id) +
                       ": the bridge has no room to put them in",
                   kSetup});
  }
  return out;
}

}  // namespace parley::livekit
