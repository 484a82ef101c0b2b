// livekit-server's SIP service answers: it needs Redis (the SIP bridge and the server talk
// through it, and trunks and rules are stored there). Without it every SIP call answers
// 500 "sip not connected (redis required)".
#include "diagnose/checks.h"
#include "diagnose/sip_checks_common.h"
#include "livekit/api/sip_client.h"

namespace parley::diagnose {

std::optional<SipState>& sip_state() {
  static std::optional<SipState> state;
  return state;
}

namespace {

class SipServiceCheck final : public Check {
 public:
  std::string name() const override { return "sip_service"; }
  std::string title() const override { return "SIP service connected"; }
  std::vector<std::string> depends_on() const override { return {"api_secret"}; }
  CheckResult run(Context& ctx) override {
    sip_state().reset();
    auto* api = ctx.api();
    if (!api) return CheckResult::fail("no server-API client", "run `parley config check`");
    livekit::SipClient sip(*api);
    auto trunks = sip.list_inbound_trunks();
    if (!trunks) {
      const std::string& m = trunks.error().message;
      if (m.find("not connected") != std::string::npos) {
        return CheckResult::fail("livekit-server's SIP service is not connected (\"sip not connected (redis "
                                 "required)\"): the server runs without Redis",
                                 "set `redis: {address: <host>:6379}` in livekit-server's configuration (the same "
                                 "Redis as the SIP bridge) and restart it");
      }
      return CheckResult::fail(m, "the key needs the SIP admin grant; see the error above");
    }
    auto rules = sip.list_dispatch_rules();
    if (!rules) return CheckResult::fail(rules.error().message, "see the error above");
    sip_state() = SipState{std::move(*trunks), std::move(*rules)};
    return CheckResult::pass("the server's SIP service answers (trunks and rules are stored in its Redis)");
  }
};

}  // namespace

std::unique_ptr<Check> make_sip_service_check() { return std::make_unique<SipServiceCheck>(); }

}  // namespace parley::diagnose
