// parley call <number> --trunk T --room R: dial out through an outbound trunk and bring the
// callee into a room (SIP.CreateSIPParticipant; needs LiveKit's SIP bridge running).
#include <iostream>

#include "cli/api_session.h"
#include "core/phone_number.h"
#include "livekit/api/sip_client.h"

namespace parley::cli {
namespace {

const CommandRegistrar registrar(33, [](CLI::App& root, CommandContext& ctx) {
  auto o = std::make_shared<livekit::CreateSipParticipantOptions>();
  auto* cmd = root.add_subcommand("call", "call a phone number into a room through an outbound SIP trunk");
  cmd->add_option("number", o->sip_call_to, "number to call, e.g. +15550100")->required();
  cmd->add_option("--trunk", o->sip_trunk_id, "outbound trunk id (ST_...)")->required();
  cmd->add_option("--room", o->room_name, "room to bring the callee into")->required();
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
    auto p = must(sip_client.create_sip_participant(*o));
    if (ctx.opts.json) {
      std::cout << nlohmann::json{{"participant_id", p.participant_id},
                                  {"participant_identity", p.participant_identity},
                                  {"room_name", p.room_name},
                                  {"sip_call_id", p.sip_call_id}}
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
