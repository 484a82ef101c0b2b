// At least one inbound trunk: without one the SIP bridge rejects every incoming call.
#include "diagnose/checks.h"
#include "diagnose/sip_checks_common.h"

namespace parley::diagnose {
namespace {

class SipTrunkCheck final : public Check {
 public:
  std::string name() const override { return "sip_trunks"; }
  std::string title() const override { return "inbound SIP trunk exists"; }
  std::vector<std::string> depends_on() const override { return {"sip_service"}; }
  CheckResult run(Context&) override {
    const auto& s = sip_state();
    if (!s) return CheckResult::skip("no SIP state");
    if (s->inbound.empty()) {
      return CheckResult::fail("no inbound SIP trunk: the SIP bridge rejects every incoming call",
                               "parley sip trunk create --name main --number <your phone number>");
    }
    std::string list;
    for (const auto& t : s->inbound) {
      std::string numbers;
      for (const auto& n : t.numbers) numbers += (numbers.empty() ? "" : ",") + n;
      list += (list.empty() ? "" : "; ") + t.sip_trunk_id + (numbers.empty() ? "" : " (" + numbers + ")");
    }
    return CheckResult::pass(std::to_string(s->inbound.size()) + " inbound trunk(s): " + list);
  }
};

}  // namespace

std::unique_ptr<Check> make_sip_trunk_check() { return std::make_unique<SipTrunkCheck>(); }

}  // namespace parley::diagnose
