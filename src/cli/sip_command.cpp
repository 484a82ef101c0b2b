// parley sip trunk create|list|delete and parley sip dispatch create|list|delete: SIP trunks
// and dispatch rules on the LiveKit server (kept in its Redis; the SIP bridge reads them).
#include <iostream>

#include "cli/api_session.h"
#include "livekit/api/sip_client.h"
#include "core/phone_number.h"

namespace parley::cli {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

// Numbers given on the command line, rewritten to E.164 as the configuration's are.
void normalize_numbers(std::vector<std::string>& numbers, const std::string& flag) {
  for (auto& n : numbers) {
    auto e164 = normalize_e164(n);
    if (!e164) throw CliExit(kExitUsage, flag + ": " + e164.error().message + " (fix: write it as +74951234567)");
    n = *e164;
  }
}

struct SipOptions {
  livekit::CreateInboundTrunkOptions inbound;
  livekit::CreateOutboundTrunkOptions outbound;
  livekit::CreateDispatchRuleOptions rule;
  bool outbound_kind = false;
  std::string id;
};

void add_trunk_commands(CLI::App* sip, CommandContext& ctx, std::shared_ptr<SipOptions> o) {
  auto* trunk = sip->add_subcommand("trunk", "SIP trunks (inbound by default; --outbound for dialling out)");
  trunk->require_subcommand(1);
  auto* create = trunk->add_subcommand("create", "create a trunk");
  create->add_option("--name", o->inbound.name, "trunk name");
  create->add_option("--number", o->inbound.numbers, "phone number of the trunk (repeatable)");
  create->add_option("--allowed-address", o->inbound.allowed_addresses, "inbound: allowed source IP/CIDR (repeatable)");
  create->add_option("--allowed-number", o->inbound.allowed_numbers, "inbound: allowed caller number (repeatable)");
  create->add_option("--auth-user", o->inbound.auth_username, "SIP auth user name");
  create->add_option("--auth-password", o->inbound.auth_password, "SIP auth password (prefer the environment)")
      ->envname("PARLEY_SIP_AUTH_PASSWORD");
  create->add_flag("--outbound", o->outbound_kind, "create an outbound trunk");
  create->add_option("--address", o->outbound.address, "outbound: SIP provider host[:port]");
  create->add_option("--transport", o->outbound.transport, "outbound: udp, tcp or tls");
  create->callback([&ctx, o] {
    normalize_numbers(o->inbound.numbers, "--number");
    normalize_numbers(o->inbound.allowed_numbers, "--allowed-number");
    ApiSession api(ctx);
    livekit::SipClient sip_client(api.twirp());
    if (o->outbound_kind) {
      o->outbound.name = o->inbound.name;
      o->outbound.numbers = o->inbound.numbers;
      o->outbound.auth_username = o->inbound.auth_username;
      o->outbound.auth_password = o->inbound.auth_password;
      auto t = must(sip_client.create_outbound_trunk(o->outbound));
      if (ctx.opts.json) {
        std::cout << nlohmann::json{{"sip_trunk_id", t.sip_trunk_id}, {"name", t.name}, {"kind", "outbound"}}.dump(2)
                  << "\n";
      } else {
        std::cout << "outbound trunk " << t.sip_trunk_id << " created\n";
      }
      return;
    }
    auto t = must(sip_client.create_inbound_trunk(o->inbound));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"sip_trunk_id", t.sip_trunk_id}, {"name", t.name}, {"kind", "inbound"}}.dump(2)
                << "\n";
    } else {
      std::cout << "inbound trunk " << t.sip_trunk_id << " created\n";
    }
  });
  auto* list = trunk->add_subcommand("list", "list inbound and outbound trunks");
  list->callback([&ctx] {
    ApiSession api(ctx);
    livekit::SipClient sip_client(api.twirp());
    auto in = must(sip_client.list_inbound_trunks());
    auto out = must(sip_client.list_outbound_trunks());
    if (ctx.opts.json) {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& t : in) {
        arr.push_back({{"sip_trunk_id", t.sip_trunk_id}, {"kind", "inbound"}, {"name", t.name}, {"numbers", t.numbers}});
      }
      for (const auto& t : out) {
        arr.push_back({{"sip_trunk_id", t.sip_trunk_id}, {"kind", "outbound"}, {"name", t.name},
                       {"numbers", t.numbers}, {"address", t.address}});
      }
      std::cout << arr.dump(2) << "\n";
      return;
    }
    if (in.empty() && out.empty()) {
      std::cout << "no trunks\n";
      return;
    }
    std::vector<std::vector<std::string>> rows{{"ID", "KIND", "NAME", "NUMBERS", "ADDRESS"}};
    for (const auto& t : in) rows.push_back({t.sip_trunk_id, "inbound", t.name, join(t.numbers), ""});
    for (const auto& t : out) rows.push_back({t.sip_trunk_id, "outbound", t.name, join(t.numbers), t.address});
    print_table(rows);
  });
  auto* del = trunk->add_subcommand("delete", "delete a trunk");
  del->add_option("id", o->id, "trunk id (ST_...)")->required();
  del->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::SipClient sip_client(api.twirp());
    must(sip_client.delete_trunk(o->id));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"deleted", o->id}}.dump() << "\n";
    } else {
      std::cout << "trunk " << o->id << " deleted\n";
    }
  });
}

void add_dispatch_commands(CLI::App* sip, CommandContext& ctx, std::shared_ptr<SipOptions> o) {
  auto* dispatch = sip->add_subcommand("dispatch", "SIP dispatch rules (which room a call goes to)");
  dispatch->require_subcommand(1);
  auto* create = dispatch->add_subcommand("create", "create a dispatch rule");
  create->add_option("--name", o->rule.name, "rule name");
  create->add_option("--kind", o->rule.kind, "direct, individual (a room per caller, default) or callee")
      ->check(CLI::IsMember({"direct", "individual", "callee"}));
  create->add_option("--room", o->rule.room, "direct: the room; individual/callee: the room name prefix");
  create->add_option("--pin", o->rule.pin, "PIN callers must enter");
  create->add_option("--trunk", o->rule.trunk_ids, "only calls from this trunk id (repeatable)");
  create->add_option("--agent", o->rule.agent_names, "agent name to dispatch into the call's room (repeatable)");
  create->add_flag("--hide-phone-number", o->rule.hide_phone_number, "hide the caller's number from the room");
  create->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::SipClient sip_client(api.twirp());
    if (o->rule.kind == "individual" && o->rule.room.empty()) o->rule.room = "call-";
    auto r = must(sip_client.create_dispatch_rule(o->rule));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"sip_dispatch_rule_id", r.sip_dispatch_rule_id}, {"name", r.name},
                                  {"kind", r.kind}, {"room", r.room}, {"agents", r.agent_names}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "dispatch rule " << r.sip_dispatch_rule_id << " created\n";
    }
  });
  auto* list = dispatch->add_subcommand("list", "list dispatch rules");
  list->callback([&ctx] {
    ApiSession api(ctx);
    livekit::SipClient sip_client(api.twirp());
    auto rules = must(sip_client.list_dispatch_rules());
    if (ctx.opts.json) {
      auto arr = nlohmann::ordered_json::array();
      for (const auto& r : rules) {
        arr.push_back({{"sip_dispatch_rule_id", r.sip_dispatch_rule_id}, {"name", r.name}, {"kind", r.kind},
                       {"room", r.room}, {"trunk_ids", r.trunk_ids}, {"agents", r.agent_names}});
      }
      std::cout << arr.dump(2) << "\n";
      return;
    }
    if (rules.empty()) {
      std::cout << "no dispatch rules\n";
      return;
    }
    std::vector<std::vector<std::string>> rows{{"ID", "NAME", "KIND", "ROOM", "TRUNKS", "AGENTS"}};
    for (const auto& r : rules) {
      rows.push_back({r.sip_dispatch_rule_id, r.name, r.kind, r.room, join(r.trunk_ids), join(r.agent_names)});
    }
    print_table(rows);
  });
  auto* del = dispatch->add_subcommand("delete", "delete a dispatch rule");
  del->add_option("id", o->id, "dispatch rule id (SDR_...)")->required();
  del->callback([&ctx, o] {
    ApiSession api(ctx);
    livekit::SipClient sip_client(api.twirp());
    must(sip_client.delete_dispatch_rule(o->id));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"deleted", o->id}}.dump() << "\n";
    } else {
      std::cout << "dispatch rule " << o->id << " deleted\n";
    }
  });
}

const CommandRegistrar registrar(32, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<SipOptions>();
  auto* sip = root.add_subcommand("sip", "manage SIP trunks and dispatch rules");
  sip->require_subcommand(1);
  add_trunk_commands(sip, ctx, o);
  add_dispatch_commands(sip, ctx, o);
});

}  // namespace
}  // namespace parley::cli
