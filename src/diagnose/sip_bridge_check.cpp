// The SIP bridge answers SIP at its address. Nothing about the bridge is visible through the
// server API (trunks and rules live in Redis whether or not a bridge runs), so this asks the
// bridge itself with SIP OPTIONS, which livekit-sip answers 200 as soon as it listens
// (pkg/sip/inbound.go onOptions). A bridge that cannot reach its Redis exits at start, so it
// fails here too.
#include "diagnose/call_verdict.h"
#include "diagnose/checks.h"
#include "diagnose/sip_phone.h"
#include "diagnose/test_call.h"

namespace parley::diagnose {
namespace {

class SipBridgeCheck final : public Check {
 public:
  std::string name() const override { return "sip_bridge"; }
  std::string title() const override { return "SIP bridge answers SIP"; }
  std::vector<std::string> depends_on() const override { return {"sip_service"}; }
  CheckResult run(Context& ctx) override {
    std::string where = ctx.config().diagnose.sip_address;
    if (where.empty()) where = default_sip_address(ctx.config());
    if (where.empty()) {
      return CheckResult::skip("LiveKit Cloud runs the SIP bridge; set diagnose.sip_address to your project's SIP "
                               "host to probe it");
    }
    auto addr = resolve_sip_address(where);
    if (!addr) return CheckResult::fail(addr.error().message, "set diagnose.sip_address to the bridge's host:port");
    auto answer = sip_options(addr->ip, addr->port, std::chrono::milliseconds(2'000));
    if (!answer) {
      return CheckResult::fail(
          answer.error().message + ": the SIP bridge (livekit-sip) is not running at " + addr->to_string() +
              ", so every call to your numbers fails",
          bridge_not_running_fix(addr->to_string()));
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", answer->at * 1000);
    return CheckResult::pass("OPTIONS to " + addr->to_string() + " answered " + std::to_string(answer->code) + " " +
                             answer->reason + " in " + ms);
  }
};

}  // namespace

std::unique_ptr<Check> make_sip_bridge_check() { return std::make_unique<SipBridgeCheck>(); }

}  // namespace parley::diagnose
