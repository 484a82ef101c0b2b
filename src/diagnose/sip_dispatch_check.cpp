// At least one dispatch rule: it is what puts an incoming call into a room. Checked after the
// trunks, so a fresh setup is told to create a trunk first.
#include "diagnose/checks.h"
#include "diagnose/sip_checks_common.h"

namespace parley::diagnose {
namespace {

class SipDispatchCheck final : public Check {
 public:
  std::string name() const override { return "sip_dispatch"; }
  std::string title() const override { return "SIP dispatch rule exists"; }
  std::vector<std::string> depends_on() const override { return {"sip_trunks"}; }
  CheckResult run(Context&) override {
    const auto& s = sip_state();
    if (!s) return CheckResult::skip("no SIP state");
    if (s->rules.empty()) {
      return CheckResult::fail("no SIP dispatch rule: the SIP bridge has no room to put a call in, so calls fail",
                               "parley sip dispatch create --name calls --kind individual --room call-");
    }
    std::string list;
    for (const auto& r : s->rules) {
      list += (list.empty() ? "" : "; ") + r.sip_dispatch_rule_id + " (" + r.kind + " " + r.room + ")";
    }
    return CheckResult::pass(std::to_string(s->rules.size()) + " rule(s): " + list);
  }
};

}  // namespace

std::unique_ptr<Check> make_sip_dispatch_check() { return std::make_unique<SipDispatchCheck>(); }

}  // namespace parley::diagnose
