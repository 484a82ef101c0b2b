// parley call <number> [--trunk T] [--room R]: dial out through an outbound trunk and bring the
// callee into a room (SIP.CreateSIPParticipant; needs LiveKit's SIP bridge running).
//
// The bridge joins the room (creating it) as the callee's SIP participant while the phone is
// still ringing; under `parley serve` that participant_joined webhook admits the call like an
// inbound one, and the agent greets once the bridge reports the call answered
// (sip.callStatus "active").
#include <cctype>
#include <iostream>
#include <random>

#include "cli/api_session.h"
#include "core/phone_number.h"
#include "livekit/api/sip_client.h"

namespace parley::cli {
namespace {

// "out_<digits of the number>_<random>", like an individual dispatch rule's rooms.
std::string default_room(const std::string& number) {
  std::string digits;
  for (char c : number) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '+') digits += c;
  }
  static constexpr char kAlphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device rd;
  std::string suffix;
  for (int i = 0; i < 12; ++i) suffix += kAlphabet[rd() % (sizeof(kAlphabet) - 1)];
  return "out_" + digits + "_" + suffix;
}

// The outbound trunk to use when none is named: the only one there is.
std::string only_outbound_trunk(livekit::SipClient& sip) {
  auto trunks = must(sip.list_outbound_trunks());
  if (trunks.size() == 1) return trunks[0].sip_trunk_id;
  if (trunks.empty()) {
    throw CliExit(kExitFailed,
                  "there is no outbound SIP trunk (fix: create one with `parley sip trunk create --outbound "
                  "--address HOST:PORT --number NUMBER`)");
  }
  std::string ids;
  for (const auto& t : trunks) ids += (ids.empty() ? "" : ", ") + t.sip_trunk_id + " (" + t.name + ")";
  throw CliExit(kExitUsage, "there are " + std::to_string(trunks.size()) + " outbound trunks: " + ids +
                                " (fix: name one with --trunk)");
}

const CommandRegistrar registrar(33, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<livekit::CreateSipParticipantOptions>();
  auto* cmd = root.add_subcommand("call", "call a phone number into a room through an outbound SIP trunk");
  cmd->add_option("number", o->sip_call_to, "number to call, e.g. +15550100")->required();
  cmd->add_option("--trunk", o->sip_trunk_id, "outbound trunk id (ST_...); default: the only outbound trunk");
  cmd->add_option("--room", o->room_name, "room to bring the callee into; default: out_<number>_<random>");
  cmd->add_option("--identity", o->participant_identity, "identity of the callee's participant");
  cmd->add_option("--name", o->participant_name, "display name of the callee's participant");
  cmd->add_option("--dtmf", o->dtmf, "digits to send once the call connects");
  cmd->add_flag("--wait", o->wait_until_answered, "return only once the callee answers");
  cmd->callback([&ctx, o] {
    auto e164 = normalize_e164(o->sip_call_to);  // "8 495 123-45-67" -> "+74951234567"
    if (!e164) throw CliExit(kExitUsage, e164.error().message + " (fix: write it as +74951234567)");
    o->sip_call_to = *e164;
    ApiSession api(ctx);
    livekit::SipClient sip_client(api.twirp());
    if (o->sip_trunk_id.empty()) o->sip_trunk_id = only_outbound_trunk(sip_client);
    if (o->room_name.empty()) o->room_name = default_room(o->sip_call_to);
    auto p = must(sip_client.create_sip_participant(*o));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"participant_id", p.participant_id},
                                  {"participant_identity", p.participant_identity},
                                  {"room_name", p.room_name},
                                  {"sip_call_id", p.sip_call_id},
                                  {"sip_trunk_id", o->sip_trunk_id}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "calling " << o->sip_call_to << " into room " << p.room_name << " as "
                << p.participant_identity << " (call " << p.sip_call_id << ")\n";
    }
  });
});

}  // namespace
}  // namespace parley::cli
