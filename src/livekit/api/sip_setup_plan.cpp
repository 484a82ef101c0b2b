#include "livekit/api/sip_setup_plan.h"

#include <algorithm>

#include "core/phone_number.h"

namespace parley::livekit {

SipDesired sip_desired(const Config& c) {
  SipDesired d;
  const auto& t = c.sip.inbound_trunk;
  d.trunk_name = t.name;
  d.numbers = t.numbers;
  d.allowed_addresses = t.allowed_addresses;
  d.auth_username = t.auth_username;
  // A password without a user name is not auth (the configuration check warns about it).
  if (!t.auth_username.empty()) d.auth_password = t.auth_password;
  d.rule_name = c.sip.dispatch_rule.name;
  d.room_prefix = c.sip.dispatch_rule.room_prefix;
  if (!c.agent.agent_name.empty()) d.agent_names = {c.agent.agent_name};
  return d;
}

std::string_view to_string(SetupAction a) {
  switch (a) {
    case SetupAction::kCreate: return "created";
    case SetupAction::kUpdate: return "updated";
    case SetupAction::kUnchanged: return "unchanged";
  }
  return "unknown";
}

std::string format_list(const std::vector<std::string>& v, std::string_view empty) {
  if (v.empty()) return std::string(empty);
  std::string out = "[";
  for (const auto& s : v) out += (out.size() > 1 ? ", " : "") + s;
  return out + "]";
}

bool same_set(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return a == b;
}

std::string e164_or_raw(const std::string& number) {
  auto n = normalize_e164(number);
  return n ? *n : number;
}

std::string describe(const std::string& name, const std::string& id) {
  return "'" + name + "' (" + id + ")";
}

CreateInboundTrunkOptions inbound_trunk_options(const SipDesired& w) {
  CreateInboundTrunkOptions o;
  o.name = w.trunk_name;
  o.numbers = w.numbers;
  o.allowed_addresses = w.allowed_addresses;
  o.auth_username = w.auth_username;
  o.auth_password = w.auth_password;
  return o;
}

CreateDispatchRuleOptions dispatch_rule_options(const SipDesired& w, const std::string& trunk_id) {
  CreateDispatchRuleOptions o;
  o.name = w.rule_name;
  o.kind = "individual";
  o.room = w.room_prefix;
  if (!trunk_id.empty()) o.trunk_ids = {trunk_id};
  o.agent_names = w.agent_names;
  return o;
}

namespace {

TrunkPlan plan_trunk(const SipDesired& w, const SipInboundTrunk* have) {
  TrunkPlan p;
  if (!have) return p;
  p.id = have->sip_trunk_id;
  if (!same_set(have->numbers, w.numbers)) {
    p.changes.push_back("numbers " + format_list(have->numbers) + " -> " + format_list(w.numbers));
    p.update.numbers = w.numbers;
  }
  if (!same_set(have->allowed_addresses, w.allowed_addresses)) {
    p.changes.push_back("allowed addresses " + format_list(have->allowed_addresses, "any") + " -> " +
                        format_list(w.allowed_addresses, "any"));
    p.update.allowed_addresses = w.allowed_addresses;
  }
  if (have->auth_username != w.auth_username) {
    p.changes.push_back("auth user '" + have->auth_username + "' -> '" + w.auth_username + "'");
    p.update.auth_username = w.auth_username;
  }
  if (have->auth_password != w.auth_password) {
    p.changes.push_back(w.auth_password.empty() ? "auth password removed" : "auth password changed");
    p.update.auth_password = w.auth_password;
  }
  p.action = p.changes.empty() ? SetupAction::kUnchanged : SetupAction::kUpdate;
  return p;
}

// A rule whose trunks, calling numbers, called numbers and PIN all overlap parley's is refused
// by the server next to parley's (one rule per trunk/number/PIN combination).
bool collides_with_ours(const SipDispatchRule& r, const std::string& trunk_id) {
  bool on_trunk = std::find(r.trunk_ids.begin(), r.trunk_ids.end(), trunk_id) != r.trunk_ids.end();
  return on_trunk && r.pin.empty() && json_strings(r.raw, "inbound_numbers").empty() &&
         json_strings(r.raw, "numbers").empty();
}

}  // namespace

RulePlan plan_dispatch_rule(const SipDesired& w, const std::vector<SipDispatchRule>& rules, const std::string& trunk_id) {
  RulePlan p;
  auto mine = named(rules, w.rule_name);
  if (mine.empty()) return p;
  const SipDispatchRule& have = *mine.front();
  p.id = have.sip_dispatch_rule_id;
  p.base = have.raw;
  if (have.kind != "individual") p.changes.push_back("kind " + have.kind + " -> individual");
  if (have.room != w.room_prefix) p.changes.push_back("room prefix '" + have.room + "' -> '" + w.room_prefix + "'");
  if (!have.pin.empty()) p.changes.push_back("PIN removed");
  std::vector<std::string> want_trunks;
  if (!trunk_id.empty()) want_trunks = {trunk_id};
  if (trunk_id.empty() || !same_set(have.trunk_ids, want_trunks)) {
    p.changes.push_back("trunks " + format_list(have.trunk_ids, "any") + " -> " +
                        (trunk_id.empty() ? std::string("the new trunk") : format_list(want_trunks)));
  }
  if (!same_set(have.agent_names, w.agent_names)) {
    p.changes.push_back("agents " + format_list(have.agent_names, "default") + " -> " +
                        format_list(w.agent_names, "default"));
  }
  p.action = p.changes.empty() ? SetupAction::kUnchanged : SetupAction::kUpdate;
  return p;
}

SetupPlan plan_sip_setup(const SipDesired& w, const std::vector<SipInboundTrunk>& trunks,
                         const std::vector<SipDispatchRule>& rules) {
  SetupPlan plan;
  auto my_trunks = named(trunks, w.trunk_name);
  if (my_trunks.size() > 1) {
    std::string ids;
    for (const auto* t : my_trunks) ids += (ids.empty() ? "" : ", ") + t->sip_trunk_id;
    plan.problems.push_back({std::to_string(my_trunks.size()) + " inbound trunks are named '" + w.trunk_name +
                                 "' (" + ids + "), so parley cannot tell which is its own",
                             "keep one: parley sip trunk delete " + my_trunks.back()->sip_trunk_id});
  }
  auto my_rules = named(rules, w.rule_name);
  if (my_rules.size() > 1) {
    std::string ids;
    for (const auto* r : my_rules) ids += (ids.empty() ? "" : ", ") + r->sip_dispatch_rule_id;
    plan.problems.push_back({std::to_string(my_rules.size()) + " dispatch rules are named '" + w.rule_name + "' (" +
                                 ids + "), so parley cannot tell which is its own",
                             "keep one: parley sip dispatch delete " + my_rules.back()->sip_dispatch_rule_id});
  }
  const SipInboundTrunk* mine = my_trunks.empty() ? nullptr : my_trunks.front();
  for (const auto& t : trunks) {
    if (mine && t.sip_trunk_id == mine->sip_trunk_id) continue;
    if (t.name == w.trunk_name) continue;  // reported above
    for (const auto& n : t.numbers) {
      std::string e = e164_or_raw(n);
      if (std::find(w.numbers.begin(), w.numbers.end(), e) == w.numbers.end()) continue;
      plan.problems.push_back({e + " is also on trunk " + describe(t.name, t.sip_trunk_id) +
                                   ": a called number must belong to one trunk",
                               "remove that trunk (parley sip trunk delete " + t.sip_trunk_id +
                                   ") or take the number out of sip.inbound_trunk.numbers"});
    }
  }
  plan.trunk = plan_trunk(w, mine);
  const std::string trunk_id = mine ? mine->sip_trunk_id : "";
  if (mine) {
    const std::string my_rule_id = my_rules.empty() ? "" : my_rules.front()->sip_dispatch_rule_id;
    for (const auto& r : rules) {
      if (r.sip_dispatch_rule_id == my_rule_id || r.name == w.rule_name || !collides_with_ours(r, trunk_id)) continue;
      plan.problems.push_back({"dispatch rule " + describe(r.name, r.sip_dispatch_rule_id) + " is also bound to trunk " +
                                   describe(mine->name, trunk_id) + ": the server allows one such rule per trunk",
                               "delete it (parley sip dispatch delete " + r.sip_dispatch_rule_id +
                                   ") or rename sip.dispatch_rule.name to '" + r.name + "' to let parley manage it"});
    }
  }
  plan.rule = plan_dispatch_rule(w, rules, trunk_id);
  return plan;
}

}  // namespace parley::livekit
