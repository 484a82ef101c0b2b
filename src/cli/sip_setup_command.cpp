// parley sip setup: makes LiveKit's inbound trunk and dispatch rule match the sip: section of
// the configuration (creating or updating parley's own, found by name). parley sip status:
// lists trunks and rules and names every mismatch with the configuration, each with its fix.
// Both are added under `parley sip`, which sip_command.cpp registers first.
#include <iostream>

#include "cli/api_session.h"
#include "livekit/api/sip_client.h"
#include "livekit/api/sip_setup_plan.h"
#include "livekit/api/sip_status.h"

namespace parley::cli {
namespace {

using livekit::SetupAction;
using ojson = nlohmann::ordered_json;

livekit::SipDesired desired_or_usage_error(CommandContext& ctx) {
  auto want = livekit::sip_desired(ctx.config());
  if (want.numbers.empty() && want.allowed_addresses.empty() && want.auth_username.empty()) {
    // LiveKit refuses such a trunk too: it would accept any call from anywhere.
    throw CliExit(kExitUsage,
                  "sip.inbound_trunk has no numbers, allowed addresses or auth (fix: set sip.inbound_trunk.numbers "
                  "and allowed_addresses in parley.yaml; see docs/telephony.md)");
  }
  return want;
}

struct Outcome {
  std::string what, name, id;
  SetupAction action;
  std::vector<std::string> changes;
  std::string summary;
};

void print_outcomes(const std::vector<Outcome>& outcomes, bool json) {
  if (json) {
    ojson out = ojson::object();
    for (const auto& o : outcomes) {
      out[o.what] = {{"action", std::string(livekit::to_string(o.action))}, {"name", o.name}, {"id", o.id},
                     {"changes", o.changes}, {"summary", o.summary}};
    }
    std::cout << out.dump(2) << "\n";
    return;
  }
  for (const auto& o : outcomes) {
    std::string label = o.what == "trunk" ? "inbound trunk" : "dispatch rule";
    std::cout << label << " '" << o.name << "' (" << o.id << "): " << livekit::to_string(o.action);
    if (!o.changes.empty()) {
      std::string c;
      for (const auto& x : o.changes) c += (c.empty() ? "" : "; ") + x;
      std::cout << " (" << c << ")";
    }
    std::cout << "\n    " << o.summary << "\n";
  }
}

void run_setup(CommandContext& ctx) {
  auto want = desired_or_usage_error(ctx);
  ApiSession api(ctx);
  livekit::SipClient sip(api.twirp());
  auto trunks = must(sip.list_inbound_trunks());
  auto rules = must(sip.list_dispatch_rules());
  auto plan = livekit::plan_sip_setup(want, trunks, rules);
  if (!plan.problems.empty()) {
    for (const auto& p : plan.problems) std::cerr << "error: " << p.message << " (fix: " << p.fix << ")\n";
    throw CliExit(kExitFailed, "nothing was changed");
  }

  std::string trunk_id = plan.trunk.id;
  switch (plan.trunk.action) {
    case SetupAction::kCreate:
      trunk_id = must(sip.create_inbound_trunk(livekit::inbound_trunk_options(want))).sip_trunk_id;
      break;
    case SetupAction::kUpdate:
      must(sip.update_inbound_trunk(trunk_id, plan.trunk.update));
      break;
    case SetupAction::kUnchanged:
      break;
  }
  // The rule binds to the trunk, whose id a creation has only just given.
  auto rule_plan = livekit::plan_dispatch_rule(want, rules, trunk_id);
  auto rule_options = livekit::dispatch_rule_options(want, trunk_id);
  std::string rule_id = rule_plan.id;
  switch (rule_plan.action) {
    case SetupAction::kCreate:
      rule_id = must(sip.create_dispatch_rule(rule_options)).sip_dispatch_rule_id;
      break;
    case SetupAction::kUpdate:
      must(sip.replace_dispatch_rule(rule_id, rule_options, rule_plan.base));
      break;
    case SetupAction::kUnchanged:
      break;
  }

  std::string auth = want.auth_username.empty() ? "no auth" : "digest auth as '" + want.auth_username + "'";
  std::vector<Outcome> outcomes{
      {"trunk", want.trunk_name, trunk_id, plan.trunk.action, plan.trunk.changes,
       "numbers " + livekit::format_list(want.numbers) + ", from " + livekit::format_list(want.allowed_addresses, "any address") +
           ", " + auth},
      {"dispatch_rule", want.rule_name, rule_id, rule_plan.action, rule_plan.changes,
       "a room per caller named " + want.room_prefix + "_<caller>_<random>, calls from trunk " + trunk_id + ", agent " +
           (want.agent_names.empty() ? std::string("default (agent.agent_name is empty)") : "'" + want.agent_names.front() + "'")}};
  print_outcomes(outcomes, ctx.opts.json);
}

void run_status(CommandContext& ctx) {
  auto want = livekit::sip_desired(ctx.config());
  ApiSession api(ctx);
  livekit::SipClient sip(api.twirp());
  auto trunks = must(sip.list_inbound_trunks());
  auto rules = must(sip.list_dispatch_rules());
  auto findings = livekit::check_sip_status(want, trunks, rules);
  if (ctx.opts.json) {
    // Never the auth password: the trunk listing carries it.
    ojson out = ojson::object();
    out["trunks"] = ojson::array();
    for (const auto& t : trunks) {
      out["trunks"].push_back({{"sip_trunk_id", t.sip_trunk_id}, {"name", t.name}, {"parley", t.name == want.trunk_name},
                               {"numbers", t.numbers}, {"allowed_addresses", t.allowed_addresses},
                               {"auth_username", t.auth_username}});
    }
    out["dispatch_rules"] = ojson::array();
    for (const auto& r : rules) {
      out["dispatch_rules"].push_back({{"sip_dispatch_rule_id", r.sip_dispatch_rule_id}, {"name", r.name},
                                       {"parley", r.name == want.rule_name}, {"kind", r.kind}, {"room", r.room},
                                       {"trunk_ids", r.trunk_ids}, {"agents", r.agent_names}});
    }
    out["ok"] = findings.empty();
    out["mismatches"] = ojson::array();
    for (const auto& f : findings) out["mismatches"].push_back({{"message", f.message}, {"fix", f.fix}});
    std::cout << out.dump(2) << "\n";
  } else {
    std::vector<std::vector<std::string>> rows{{"TRUNK", "NAME", "NUMBERS", "ALLOWED ADDRESSES", "AUTH"}};
    for (const auto& t : trunks) {
      rows.push_back({t.sip_trunk_id, t.name + (t.name == want.trunk_name ? " (parley)" : ""),
                      livekit::format_list(t.numbers, "any"), livekit::format_list(t.allowed_addresses, "any"),
                      t.auth_username.empty() ? "none" : "user " + t.auth_username});
    }
    if (trunks.empty()) std::cout << "no inbound trunks\n";
    else print_table(rows);
    std::cout << "\n";
    rows = {{"RULE", "NAME", "KIND", "ROOM", "TRUNKS", "AGENTS"}};
    for (const auto& r : rules) {
      rows.push_back({r.sip_dispatch_rule_id, r.name + (r.name == want.rule_name ? " (parley)" : ""), r.kind, r.room,
                      livekit::format_list(r.trunk_ids, "any"), livekit::format_list(r.agent_names, "default")});
    }
    if (rules.empty()) std::cout << "no dispatch rules\n";
    else print_table(rows);
    std::cout << "\n";
    if (findings.empty()) {
      std::cout << "LiveKit SIP matches parley's configuration\n";
    } else {
      std::cout << findings.size() << " mismatch(es) with parley's configuration:\n";
      for (const auto& f : findings) std::cout << "  - " << f.message << "\n    fix: " << f.fix << "\n";
    }
  }
  if (!findings.empty()) throw CliExit(kExitFailed, "");
}

// After sip_command.cpp (order 32), which creates `parley sip`.
const CommandRegistrar registrar(33, [](CLI::App& root, CommandContext& ctx) {
  auto* sip = root.get_subcommand("sip");
  auto* setup = sip->add_subcommand(
      "setup", "create or update parley's inbound trunk and dispatch rule from the sip: configuration");
  setup->callback([&ctx] { run_setup(ctx); });
  auto* status = sip->add_subcommand(
      "status", "list trunks and rules and name each mismatch with the configuration (exit 1 when any)");
  status->callback([&ctx] { run_status(ctx); });
});

}  // namespace
}  // namespace parley::cli
