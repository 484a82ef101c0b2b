// A real test call through the bridge (test_call.h), when diagnose.call_number is set: the
// only way to see failures the server API cannot show — a bridge whose API key or secret
// does not match the server's, a trunk's allowed addresses or digest auth refusing the call,
// an agent that never comes or never speaks.
#include "diagnose/checks.h"
#include "diagnose/test_call.h"

namespace parley::diagnose {
namespace {

class SipCallCheck final : public Check {
 public:
  std::string name() const override { return "sip_call"; }
  std::string title() const override { return "test call through the SIP bridge"; }
  std::vector<std::string> depends_on() const override { return {"sip_agent", "sip_bridge"}; }
  CheckResult run(Context& ctx) override {
    auto options = TestCallOptions::from_config(ctx.config());
    if (options.number.empty()) {
      return CheckResult::skip("no test number: set diagnose.call_number (or run `parley diagnose --call NUMBER`)");
    }
    auto verdict = run_test_call(ctx, options);
    if (!verdict) return CheckResult::fail(verdict.error().message, "set diagnose.sip_address to the bridge's host:port");
    if (!verdict->ok) return CheckResult::fail(verdict->cause, verdict->fix);
    return CheckResult::pass("call to " + options.number + ": " + verdict->summary());
  }
};

}  // namespace

std::unique_ptr<Check> make_sip_call_check() { return std::make_unique<SipCallCheck>(); }

}  // namespace parley::diagnose
