#include "diagnose/test_call.h"

#include <algorithm>

#include "livekit/api/sip_client.h"

namespace parley::diagnose {
namespace {

constexpr std::chrono::milliseconds kTick{200};
// No SIP answer at all within this: nothing listens (the bridge answers 100 within milliseconds).
constexpr double kNoAnswerSeconds = 4;
// After its first 180 the bridge repeats 180 every second while it rings (StartRinging,
// livekit-sip ringing interval 1 s); this long without one and without the call in a room
// means it dropped the call (see call_verdict.cpp).
constexpr double kRingingStoppedSeconds = 3;
// After speech, this much silence ends the greeting.
constexpr double kGreetingPauseSeconds = 1.2;

double seconds(std::chrono::milliseconds ms) { return double(ms.count()) / 1000.0; }

PhoneAction next_action(const PhoneState& p, const RoomObservation& room, const TestCallOptions& o) {
  const double now = p.now;
  if (p.answered()) {
    const auto& a = p.audio;
    if (a.first_voice && a.last_voice && now - *a.last_voice > kGreetingPauseSeconds && a.voiced_seconds() >= 0.4) {
      return PhoneAction::kHangUp;  // the greeting came and ended
    }
    return now - p.final->at > seconds(o.listen) ? PhoneAction::kHangUp : PhoneAction::kContinue;
  }
  if (p.provisional.empty()) return now > kNoAnswerSeconds ? PhoneAction::kHangUp : PhoneAction::kContinue;
  if (now > seconds(o.answer_timeout)) return PhoneAction::kHangUp;
  const bool rang = std::any_of(p.provisional.begin(), p.provisional.end(), [](const auto& r) { return r.code == 180; });
  if (rang && !room.sip_joined && now - p.provisional.back().at > kRingingStoppedSeconds) return PhoneAction::kHangUp;
  return PhoneAction::kContinue;
}

CallFacts gather_facts(Context& ctx, const TestCallOptions& o, const std::string& sip_address) {
  CallFacts f;
  f.sip_address = sip_address;
  f.number = o.number;
  f.caller = o.caller;
  f.had_credentials = !o.username.empty();
  f.agent_name = ctx.config().agent.agent_name;
  f.agent_identity = ctx.config().agent.identity;
  f.answer_timeout = seconds(o.answer_timeout);
  auto* api = ctx.api();
  if (!api) {
    f.sip_api_error = "no server-API client (run `parley config check`)";
    return f;
  }
  livekit::SipClient sip(*api);
  if (auto t = sip.list_inbound_trunks()) {
    f.trunks = std::move(*t);
  } else {
    f.sip_api_error = t.error().message;
  }
  if (auto r = sip.list_dispatch_rules()) {
    f.rules = std::move(*r);
  } else {
    f.sip_api_error = r.error().message;
  }
  return f;
}

}  // namespace

TestCallOptions TestCallOptions::from_config(const Config& config) {
  TestCallOptions o;
  o.number = config.diagnose.call_number;
  if (!config.diagnose.call_from.empty()) o.caller = config.diagnose.call_from;
  o.sip_address = config.diagnose.sip_address;
  o.username = config.diagnose.call_username;
  o.password = config.diagnose.call_password;
  if (config.diagnose.call_timeout.count() > 0) o.answer_timeout = config.diagnose.call_timeout;
  return o;
}

std::string default_sip_address(const Config& config) {
  auto u = parse_url(config.livekit.url);
  if (!u || u->host.empty()) return "127.0.0.1:5060";
  const std::string cloud = ".livekit.cloud";
  if (u->host.size() > cloud.size() && u->host.compare(u->host.size() - cloud.size(), cloud.size(), cloud) == 0) {
    return "";
  }
  return u->host + ":5060";
}

Result<CallVerdict> run_test_call(Context& ctx, const TestCallOptions& o) {
  const std::string where = o.sip_address.empty() ? default_sip_address(ctx.config()) : o.sip_address;
  if (where.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "LiveKit Cloud's SIP host differs per project: give it with --sip-address (diagnose.sip_address), "
                      "the host of your project's SIP URI");
  }
  auto addr = resolve_sip_address(where);
  if (!addr) return tl::unexpected(addr.error());
  CallFacts facts = gather_facts(ctx, o, addr->to_string());

  PhoneOptions po;
  po.host = addr->ip;
  po.port = addr->port;
  po.to = o.number;
  po.from = o.caller;
  po.username = o.username;
  po.password = o.password;

  const auto started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::optional<RoomWatch> watch;
  auto state = place_call(po, kTick, [&](const PhoneState& p) {
    if (!watch) watch.emplace(ctx.api(), p.call_id, o.caller, ctx.config().agent.identity, started_ms);
    if (!p.provisional.empty() || p.final) watch->poll(p.now);
    return next_action(p, watch->seen(), o);
  });
  if (!state) return tl::unexpected(state.error());
  if (!watch) watch.emplace(ctx.api(), state->call_id, o.caller, ctx.config().agent.identity, started_ms);
  // One last look: the room and participants may have appeared since the last tick.
  if (!state->provisional.empty()) watch->poll(state->now);
  facts.source_ip = state->local_address.substr(0, state->local_address.rfind(':'));
  return judge_call(*state, watch->seen(), facts);
}

}  // namespace parley::diagnose
