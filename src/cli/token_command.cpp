// parley token: mints a LiveKit access token with the configured key and secret.
//   parley token --identity alice --room r1 [--ttl 1h] [--grant roomJoin,canPublish=false]
//                [--name N] [--metadata M] [--attr k=v]... [--kind agent] [--sip-admin] [--sip-call]
#include <iostream>
#include <sstream>

#include "cli/api_session.h"
#include "core/duration.h"
#include "livekit/auth/access_token.h"

namespace parley::cli {
namespace {

struct TokenOptions {
  std::string identity, room, ttl = "1h", name, metadata, kind;
  std::vector<std::string> grants, attrs, sources;
  bool sip_admin = false, sip_call = false;
};

// Applies "name" or "name=true|false" to the grant; false when the name is unknown.
bool apply_grant(livekit::VideoGrant& g, const std::string& item) {
  std::string name = item;
  bool value = true;
  if (auto eq = item.find('='); eq != std::string::npos) {
    name = item.substr(0, eq);
    std::string v = item.substr(eq + 1);
    if (v == "false" || v == "0") {
      value = false;
    } else if (v != "true" && v != "1") {
      return false;
    }
  }
  std::map<std::string, bool*> flags = {
      {"roomCreate", &g.room_create}, {"roomList", &g.room_list},       {"roomRecord", &g.room_record},
      {"roomAdmin", &g.room_admin},   {"roomJoin", &g.room_join},       {"ingressAdmin", &g.ingress_admin},
      {"hidden", &g.hidden},          {"recorder", &g.recorder},        {"agent", &g.agent}};
  std::map<std::string, std::optional<bool>*> optional = {
      {"canPublish", &g.can_publish},
      {"canSubscribe", &g.can_subscribe},
      {"canPublishData", &g.can_publish_data},
      {"canUpdateOwnMetadata", &g.can_update_own_metadata},
      {"canSubscribeMetrics", &g.can_subscribe_metrics},
      {"canManageAgentSession", &g.can_manage_agent_session}};
  if (auto it = flags.find(name); it != flags.end()) {
    *it->second = value;
    return true;
  }
  if (auto it = optional.find(name); it != optional.end()) {
    *it->second = value;
    return true;
  }
  return false;
}

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    std::stringstream ss(item);
    std::string part;
    while (std::getline(ss, part, ',')) {
      if (!part.empty()) out.push_back(part);
    }
  }
  return out;
}

void run_token(CommandContext& ctx, const TokenOptions& o) {
  const Config& config = ctx.config({"livekit.url"});
  auto ttl = parse_duration(o.ttl);
  if (!ttl || ttl->count() < 1000) {
    throw CliExit(kExitUsage, "--ttl '" + o.ttl + "' is not a duration of at least 1s (for example 10m, 1h, 6h)");
  }
  livekit::TokenClaims claims;
  claims.identity = o.identity;
  claims.name = o.name;
  claims.metadata = o.metadata;
  claims.kind = o.kind;
  static const std::set<std::string> kKinds = {"", "standard", "ingress", "egress", "sip", "agent", "connector", "bridge"};
  if (!kKinds.count(o.kind)) {
    throw CliExit(kExitUsage, "--kind '" + o.kind + "' is not one of standard, ingress, egress, sip, agent, connector, bridge");
  }
  for (const auto& a : o.attrs) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0) throw CliExit(kExitUsage, "--attr '" + a + "' is not key=value");
    claims.attributes[a.substr(0, eq)] = a.substr(eq + 1);
  }
  auto grants = split_list(o.grants);
  if (!grants.empty() || !o.room.empty() || !o.sources.empty()) {
    livekit::VideoGrant g;
    g.room = o.room;
    // A room without explicit grants means "join it", as `lk token create --join` does.
    if (grants.empty() && !o.room.empty()) g.room_join = true;
    for (const auto& item : grants) {
      if (!apply_grant(g, item)) {
        throw CliExit(kExitUsage, "--grant '" + item +
                                      "' is not a video grant (roomJoin, roomCreate, roomList, roomRecord, roomAdmin, "
                                      "ingressAdmin, hidden, recorder, agent, canPublish, canSubscribe, canPublishData, "
                                      "canUpdateOwnMetadata, canSubscribeMetrics, canManageAgentSession; =false to deny)");
      }
    }
    g.can_publish_sources = split_list(o.sources);
    if ((g.room_join || g.room_admin) && g.room.empty()) throw CliExit(kExitUsage, "roomJoin and roomAdmin need --room");
    if (g.room_join && o.identity.empty()) throw CliExit(kExitUsage, "joining a room needs --identity");
    claims.video = g;
  }
  if (o.sip_admin || o.sip_call) claims.sip = livekit::SipGrant{o.sip_admin, o.sip_call};
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(*ttl);
  livekit::ShiftedClock clock(SystemClock::instance(), clock_skew_setting());
  auto token = livekit::mint_token(claims, config.livekit.api_key, config.livekit.api_secret, secs, clock);
  if (!token) throw CliExit(kExitUsage, token.error().message);
  if (ctx.opts.json) {
    auto payload = livekit::peek_token_payload(*token);
    nlohmann::ordered_json out;
    out["token"] = *token;
    out["identity"] = o.identity;
    out["room"] = o.room;
    out["ttl_seconds"] = secs.count();
    out["claims"] = payload ? *payload : nlohmann::json();
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << *token << "\n";
  }
}

const CommandRegistrar registrar(20, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<TokenOptions>();
  auto* cmd = root.add_subcommand("token", "mint a LiveKit access token with the configured API key and secret");
  cmd->add_option("--identity", o->identity, "participant identity (sub)");
  cmd->add_option("--room", o->room, "room the grant is for; alone it grants roomJoin");
  cmd->add_option("--ttl", o->ttl, "validity, e.g. 10m, 1h (default 1h)");
  cmd->add_option("--grant", o->grants, "video grants, comma-separated: roomJoin,canPublish=false,...");
  cmd->add_option("--sources", o->sources, "canPublishSources: microphone,camera,screen_share,screen_share_audio");
  cmd->add_option("--name", o->name, "participant display name");
  cmd->add_option("--metadata", o->metadata, "participant metadata");
  cmd->add_option("--attr", o->attrs, "participant attribute key=value (repeatable)");
  cmd->add_option("--kind", o->kind, "participant kind: standard, agent, sip, ...");
  cmd->add_flag("--sip-admin", o->sip_admin, "SIP grant: manage trunks and dispatch rules");
  cmd->add_flag("--sip-call", o->sip_call, "SIP grant: place and transfer calls");
  cmd->callback([&ctx, o] { run_token(ctx, *o); });
});

}  // namespace
}  // namespace parley::cli
