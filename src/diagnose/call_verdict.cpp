// SIP answers cited below are those of livekit-sip v1.11.0 (pkg/sip/inbound.go), as an inbound
// INVITE goes through it:
//   100 "Processing" at once (processInvite, unless hide_inbound_port);
//   auth check, asked of livekit-server over Redis (psrpc GetSIPTrunkAuthentication):
//     no server answers (server without Redis) -> 503 "Try again later";
//     trunk with auth_username/password -> 407 with Proxy-Authenticate (handleInviteAuth),
//     wrong username or digest -> 401 "Unauthorized" / "Bad credentials";
//     server says drop -> no answer at all (cc.Drop);
//     Cloud's no-trunk codes -> 404 "Does not match any SIP Trunks" / "No trunk found";
//   180 "Ringing", repeated every second while ringing (StartRinging);
//   dispatch rules, asked of livekit-server: no rule for the call -> DispatchNoRuleDrop, which
//     drops the INVITE without an answer ("flood" in its log; seen with livekit-server v1.13.5
//     for no rule, a called number no trunk lists while rules are bound to trunks, and a
//     source address outside the trunk's allowed_addresses), or 404 "Does not match Trunks or
//     Dispatch Rules" (DispatchNoRuleReject);
//   the bridge joins the room as the SIP participant: a join refused by the server (its
//     api_key/api_secret not among the server's keys: "error establishing signal connection",
//     "Cannot create LiveKit participant") -> 486 "Rejected" (close() with callDropped);
//   200 OK once something subscribes to the caller's track (waitSubscribe), else after the
//     ringing timeout 486; a codec it cannot use -> 400 (runMedia), 488 "Media Failed".
#include "diagnose/call_verdict.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace parley::diagnose {
namespace {

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

std::string db(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f dBFS", v);
  return buf;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string response_text(const SipResponse& r) { return std::to_string(r.code) + " " + r.reason; }

// Trunks the bridge would consider for the called number: those listing it, else the default
// (number-less) ones.
std::vector<const livekit::SipInboundTrunk*> trunks_for(const CallFacts& f) {
  std::vector<const livekit::SipInboundTrunk*> specific, fallback;
  if (!f.trunks) return {};
  for (const auto& t : *f.trunks) {
    if (trunk_lists_number(t, f.number)) specific.push_back(&t);
    if (t.numbers.empty()) fallback.push_back(&t);
  }
  return specific.empty() ? fallback : specific;
}

bool rule_applies(const livekit::SipDispatchRule& r, const std::string& trunk_id) {
  return r.trunk_ids.empty() || std::find(r.trunk_ids.begin(), r.trunk_ids.end(), trunk_id) != r.trunk_ids.end();
}

struct Cause {
  std::string cause, fix;
};

const std::string kBridgeKeysFix =
    "set api_key and api_secret in the SIP bridge's configuration (livekit-sip's config.yaml) to a key pair from "
    "livekit-server's `keys` (the same key and secret as LIVEKIT_API_KEY/LIVEKIT_API_SECRET here) and restart "
    "livekit-sip";

// Nothing at all came back.
Cause no_answer(const CallFacts& f, const PhoneState& p) {
  return {"nothing answered SIP at " + f.sip_address + " (" + (p.error.empty() ? "no response" : p.error) +
              "): the SIP bridge is not running there",
          bridge_not_running_fix(f.sip_address)};
}

// The bridge rang, then went silent without a final answer and without joining a room: it
// dropped the call. The API says which of the reasons that lead there applies.
Cause dropped(const CallFacts& f) {
  const std::string head = "the bridge dropped the call without an answer after ringing: ";
  if (!f.trunks || !f.rules) {
    return {head + "no trunk or dispatch rule matched it (the server API could not be asked: " + f.sip_api_error + ")",
            "check with `parley sip trunk list` and `parley sip dispatch list` that a trunk lists " + f.number +
                " and a dispatch rule routes it"};
  }
  if (f.rules->empty()) {
    return {head + "there is no dispatch rule, so the call has no room to go to",
            "parley sip dispatch create --name calls --kind individual --room call-"};
  }
  auto candidates = trunks_for(f);
  if (candidates.empty()) {
    std::vector<std::string> have;
    for (const auto& t : *f.trunks) have.push_back(t.sip_trunk_id + " [" + join(t.numbers) + "]");
    return {head + "no inbound trunk lists the called number " + f.number +
                (have.empty() ? std::string(" (there is no inbound trunk)") : " (trunks: " + join(have, "; ") + ")"),
            "add " + f.number + " to the trunk's numbers, or create one: parley sip trunk create --name main --number " +
                f.number};
  }
  for (const auto* t : candidates) {
    if (!t->allowed_addresses.empty() && !address_allowed(f.source_ip, t->allowed_addresses)) {
      return {head + "trunk " + t->sip_trunk_id + " accepts calls only from [" + join(t->allowed_addresses) +
                  "] and this call came from " + f.source_ip,
              "add your SIP provider's signalling addresses to the trunk's allowed_addresses (to test from this host, "
              "also " + f.source_ip + "/32), or place the test call from an allowed address"};
    }
    if (!t->allowed_numbers.empty()) {
      const std::string me = normalize_number(f.caller);
      bool ok = std::any_of(t->allowed_numbers.begin(), t->allowed_numbers.end(),
                            [&](const std::string& n) { return n == f.caller || normalize_number(n) == me; });
      if (!ok) {
        return {head + "trunk " + t->sip_trunk_id + " accepts only callers [" + join(t->allowed_numbers) +
                    "] and this call came from " + f.caller,
                "call from one of the trunk's allowed_numbers (--from NUMBER), or add the caller to allowed_numbers"};
      }
    }
  }
  const auto* t = candidates.front();
  if (std::none_of(f.rules->begin(), f.rules->end(), [&](const auto& r) { return rule_applies(r, t->sip_trunk_id); })) {
    return {head + "no dispatch rule applies to trunk " + t->sip_trunk_id + " (every rule is bound to other trunks)",
            "create a rule for it: parley sip dispatch create --name calls --kind individual --room call- --trunk " +
                t->sip_trunk_id};
  }
  return {head + "trunks and rules look right from the server API, so the bridge's log says why (\"Rejecting "
                 "inbound\", \"flood\")",
          "read livekit-sip's log for this call's Call-ID"};
}

Cause final_error(const CallFacts& f, const PhoneState& p, const RoomObservation& room) {
  const SipResponse& r = *p.final;
  const std::string got = "the bridge answered " + response_text(r) + " after " + secs(r.at);
  switch (r.code) {
    case 503:
      return {got + ": it got no answer from livekit-server over Redis, so livekit-server runs without Redis "
                    "(or with another Redis than the bridge's)",
              "give livekit-server `redis: {address: <host>:6379}`, the same Redis as the bridge's redis.address, "
              "and restart it"};
    case 407:
    case 401: {
      std::string trunk;
      for (const auto* t : trunks_for(f)) {
        if (!t->auth_username.empty()) trunk = t->sip_trunk_id + " (auth_username '" + t->auth_username + "')";
      }
      if (!p.sent_credentials) {
        return {got + ": trunk " + (trunk.empty() ? std::string("for ") + f.number : trunk) +
                    " requires digest authentication and the call brought no credentials",
                "configure your SIP provider with the trunk's auth username and password; for the test call give "
                "them too: --sip-user U --sip-password P (diagnose.call_username / diagnose.call_password)"};
      }
      return {got + ": the trunk rejected the digest credentials: the username or password differs from trunk " +
                  (trunk.empty() ? std::string("for ") + f.number : trunk),
              "use the same username and password at the provider (and for --sip-user/--sip-password) as the "
              "trunk's auth_username/auth_password (`parley sip trunk list` shows the username)"};
    }
    case 404:
      if (r.reason.find("Dispatch") != std::string::npos) {
        return {got + ": no dispatch rule matched the call", "parley sip dispatch create --name calls --kind individual --room call-"};
      }
      return {got + ": no inbound trunk matched the called number " + f.number,
              "add " + f.number + " to an inbound trunk: parley sip trunk create --name main --number " + f.number};
    case 486:
      if (!room.sip_joined && !room.api_error.empty()) {
        return {got + ": the bridge rejected the call, and the room could not be observed (" + room.api_error +
                    "); if the call never reaches a room, the SIP bridge cannot authenticate to the LiveKit server",
                "fix parley's own LiveKit key first (`parley diagnose`), then run the test call again; " + kBridgeKeysFix};
      }
      if (!room.sip_joined) {
        return {got + " and the call never appeared in a room: the SIP bridge cannot authenticate to the LiveKit "
                      "server (its API key or secret does not match the server's; its log says \"error establishing "
                      "signal connection\" … 401, then \"Cannot create LiveKit participant\")",
                kBridgeKeysFix};
      }
      return {got + " after joining room " + room.room + ": nothing answered the call in time (ringing timeout) or "
                    "the room closed",
              "check that an agent joins the room and subscribes to the caller (parley serve's log)"};
    case 400:
    case 488:
      return {got + ": the bridge could not use the offered audio (PCMU)",
              "enable PCMU (G.711 µ-law) in the bridge's codecs"};
    default:
      return {got, "read livekit-sip's log for this call's Call-ID " + p.call_id};
  }
}

// Rang with the caller in a room, but no agent came.
Cause no_agent(const CallFacts& f, const RoomObservation& room) {
  const std::string head = "the caller waited in room " + room.room + " but no agent joined within " +
                           secs(f.answer_timeout) + ": ";
  auto rule_id = room.sip_attributes.find("sip.ruleID");
  if (rule_id != room.sip_attributes.end() && f.rules) {
    for (const auto& r : *f.rules) {
      if (r.sip_dispatch_rule_id != rule_id->second || r.agent_names.empty()) continue;
      if (std::find(r.agent_names.begin(), r.agent_names.end(), f.agent_name) == r.agent_names.end()) {
        std::vector<std::string> names;
        for (const auto& n : r.agent_names) names.push_back(n.empty() ? "(unnamed)" : "'" + n + "'");
        return {head + "dispatch rule " + r.sip_dispatch_rule_id + " dispatches agent " + join(names) +
                    ", but parley's agent.agent_name is '" + f.agent_name + "'",
                "set agent.agent_name to the rule's agent, or recreate the rule for parley's: parley sip dispatch "
                "create --agent " + (f.agent_name.empty() ? std::string("<name>") : f.agent_name)};
      }
    }
  }
  return {head + "`parley serve` is not running, or livekit-server's webhooks do not reach it",
          "start `parley serve`; livekit-server's webhook.urls must include parley's webhook.listen + webhook.path "
          "(`parley diagnose` checks the webhook), and its log shows each call it takes"};
}

}  // namespace

bool trunk_lists_number(const livekit::SipInboundTrunk& t, const std::string& number) {
  const std::string want = normalize_number(number);
  return std::any_of(t.numbers.begin(), t.numbers.end(),
                     [&](const std::string& n) { return n == number || normalize_number(n) == want; });
}

std::string bridge_not_running_fix(const std::string& where) {
  return "start livekit-sip (locally: scripts/stack.sh up) listening at " + where +
         " (its sip_port and listen_ip), or point diagnose.sip_address (--sip-address) at it; if it exits at start "
         "its log says why, e.g. \"unable to connect to redis\": fix its redis.address";
}

std::string normalize_number(const std::string& number) {
  std::string out;
  for (char c : number) {
    if (c == ' ' || c == '-' || c == '(' || c == ')') continue;
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (c == '+' && out.empty()))) return number;  // not a number
    out += c;
  }
  if (!out.empty() && out[0] != '+') out = "+" + out;
  return out;
}

bool address_allowed(const std::string& ip, const std::vector<std::string>& allowed) {
  in_addr addr{};
  if (::inet_pton(AF_INET, ip.c_str(), &addr) != 1) return true;  // as the bridge: unparsable = not filtered
  const uint32_t a = ntohl(addr.s_addr);
  for (const auto& entry : allowed) {
    std::string net = entry;
    int bits = 32;
    if (auto slash = entry.find('/'); slash != std::string::npos) {
      net = entry.substr(0, slash);
      try {
        bits = std::stoi(entry.substr(slash + 1));
      } catch (const std::exception&) {
        continue;
      }
    }
    in_addr n{};
    if (::inet_pton(AF_INET, net.c_str(), &n) != 1 || bits < 0 || bits > 32) continue;
    const uint32_t mask = bits == 0 ? 0 : ~uint32_t(0) << (32 - bits);
    if ((a & mask) == (ntohl(n.s_addr) & mask)) return true;
  }
  return false;
}

CallVerdict judge_call(const PhoneState& p, const RoomObservation& room, const CallFacts& f) {
  CallVerdict v;
  v.call_id = p.call_id;
  v.room = room.room;
  const bool answered = p.answered();

  CallStep sip{"sip_answer", "SIP answer (100/180)", false, std::nullopt, ""};
  if (!p.provisional.empty()) {
    sip.reached = true;
    sip.at = p.provisional.front().at;
    // Each code once, at its first time; the bridge repeats 180 every second while ringing.
    std::vector<std::string> seen;
    for (size_t i = 0; i < p.provisional.size(); ++i) {
      const auto& r = p.provisional[i];
      bool first = std::none_of(p.provisional.begin(), p.provisional.begin() + long(i),
                                [&](const SipResponse& e) { return e.code == r.code; });
      if (!first) continue;
      auto n = std::count_if(p.provisional.begin(), p.provisional.end(), [&](const SipResponse& e) { return e.code == r.code; });
      seen.push_back(response_text(r) + " at " + secs(r.at) + (n > 1 ? " (" + std::to_string(n) + " times)" : ""));
    }
    sip.detail = join(seen);
  } else if (p.final) {
    sip.reached = true;
    sip.at = p.final->at;
    sip.detail = "no provisional answer; final " + response_text(*p.final);
  }
  v.steps.push_back(sip);

  CallStep rm{"room", "room created", false, std::nullopt, ""};
  if (room.room_seen) rm = {"room", "room created", true, room.room_seen, room.room};
  v.steps.push_back(rm);

  CallStep part{"sip_participant", "SIP participant joined", false, std::nullopt, ""};
  if (room.sip_joined) part = {"sip_participant", "SIP participant joined", true, room.sip_joined, room.sip_identity};
  v.steps.push_back(part);

  CallStep agent{"agent", "agent joined", false, std::nullopt, ""};
  if (room.agent_joined) agent = {"agent", "agent joined", true, room.agent_joined, room.agent_identity};
  v.steps.push_back(agent);

  CallStep ok{"answered", "200 OK", false, std::nullopt, ""};
  if (answered) ok = {"answered", "200 OK", true, p.final->at, response_text(*p.final)};
  v.steps.push_back(ok);

  CallStep greet{"greeting", "greeting audio over RTP (PCMU)", false, std::nullopt, ""};
  const ReceivedAudio& a = p.audio;
  if (a.first_voice) {
    greet.reached = true;
    greet.at = a.first_voice;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.2f s of speech, mean %s, peak %s; %d RTP packets", a.voiced_seconds(),
                  db(a.voiced_mean_dbfs()).c_str(), db(a.peak_dbfs).c_str(), a.packets);
    greet.detail = buf;
  } else if (answered) {
    greet.detail = a.packets ? std::to_string(a.packets) + " RTP packets, all silent (peak " + db(a.peak_dbfs) + ")"
                             : "no RTP packet arrived";
  }
  v.steps.push_back(greet);

  CallStep bye{"bye", "BYE", false, std::nullopt, ""};
  if (p.bye_received) {
    bye = {"bye", "BYE", true, p.bye_received, "the far end hung up"};
  } else if (answered && p.hangup_sent) {
    bye.at = p.hangup_sent;
    bye.reached = p.bye_answer && p.bye_answer->code == 200;
    bye.detail = p.bye_answer ? "sent; answered " + response_text(*p.bye_answer) + " at " + secs(p.bye_answer->at)
                              : "sent; no answer";
  }
  v.steps.push_back(bye);

  // The first step not reached, and why.
  Cause c;
  std::string failed;
  if (!sip.reached) {
    failed = "sip_answer";
    c = no_answer(f, p);
  } else if (p.final && !answered && p.final->code != 487) {
    c = final_error(f, p, room);
  } else if (!room.sip_joined && !answered) {
    c = room.api_error.empty() ? dropped(f)
                               : Cause{"the call rang but the room could not be observed: " + room.api_error,
                                       "check LIVEKIT_URL/LIVEKIT_API_KEY/LIVEKIT_API_SECRET (`parley diagnose`)"};
  } else if (!room.agent_joined && !answered) {
    c = no_agent(f, room);
  } else if (!answered) {
    c = {"agent " + room.agent_identity + " joined room " + room.room + " but the bridge never answered (200 OK "
         "comes once something subscribes to the caller's audio)",
         "check parley serve's log for this room: the agent must subscribe to the caller's track"};
  } else if (!a.first_voice) {
    c = a.packets ? Cause{"the call was answered but the agent said nothing (" + greet.detail + ")",
                          "check agent.greeting and the TTS providers (providers.tts) in parley serve's log"}
                  : Cause{"the call was answered but no audio came back over RTP (" + greet.detail + ")",
                          "check that the bridge's RTP ports (rtp_port) reach this host and its nat_1_to_1_ip/"
                          "use_external_ip name an address this host can reach"};
  } else if (!p.bye_received && !bye.reached) {
    c = {"the call worked but the BYE was not answered (" + bye.detail + ")", "read livekit-sip's log for the call"};
  }
  if (!c.cause.empty()) {
    for (const auto& s : v.steps) {
      if (!s.reached) {
        failed = s.step;
        break;
      }
    }
    v.failed_step = failed;
    v.cause = c.cause;
    v.fix = c.fix;
  }
  v.ok = v.cause.empty();
  return v;
}

nlohmann::ordered_json CallVerdict::to_json() const {
  nlohmann::ordered_json out;
  out["ok"] = ok;
  out["call_id"] = call_id;
  out["room"] = room;
  out["steps"] = nlohmann::ordered_json::array();
  for (const auto& s : steps) {
    nlohmann::ordered_json j{{"step", s.step}, {"title", s.title}, {"reached", s.reached}};
    j["at_seconds"] = s.at ? nlohmann::ordered_json(std::round(*s.at * 1000) / 1000) : nlohmann::ordered_json();
    j["detail"] = s.detail;
    out["steps"].push_back(j);
  }
  out["failed_step"] = failed_step;
  out["cause"] = cause;
  out["fix"] = fix;
  return out;
}

std::string CallVerdict::to_text() const {
  std::string out;
  for (const auto& s : steps) {
    char at[32] = "       --";
    if (s.at) std::snprintf(at, sizeof at, "%8.3fs", *s.at);
    out += std::string(s.reached ? "  ok  " : "  --  ") + at + "  " + s.title;
    if (!s.detail.empty()) out += ": " + s.detail;
    out += "\n";
  }
  if (ok) {
    out += "PASS  the test call worked (Call-ID " + call_id + ", room " + room + ")\n";
  } else {
    out += "FAIL  " + cause + "\n      fix: " + fix + "\n";
  }
  return out;
}

std::string CallVerdict::summary() const {
  std::vector<std::string> parts;
  for (const auto& s : steps) {
    if (s.reached && s.at) parts.push_back(s.title + " " + secs(*s.at));
  }
  std::string out = join(parts, ", ");
  for (const auto& s : steps) {
    if (s.step == "greeting" && s.reached) out += " (" + s.detail + ")";
  }
  return out;
}

}  // namespace parley::diagnose
