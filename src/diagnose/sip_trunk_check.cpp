// At least one inbound trunk: without one the SIP bridge rejects every incoming call. With a
// test number configured (diagnose.call_number), a trunk must list it: livekit-server matches
// the called number against trunks' numbers (normalised as E.164), and a call no trunk takes is
// dropped by the bridge without an answer unless a dispatch rule takes calls from any trunk.
#include "diagnose/call_verdict.h"
#include "diagnose/checks.h"
#include "diagnose/sip_checks_common.h"

namespace parley::diagnose {
namespace {

class SipTrunkCheck final : public Check {
 public:
  std::string name() const override { return "sip_trunks"; }
  std::string title() const override { return "inbound SIP trunk exists"; }
  std::vector<std::string> depends_on() const override { return {"sip_service"}; }
  CheckResult run(Context& ctx) override {
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
    const std::string number = ctx.config().diagnose.call_number;
    if (!number.empty()) {
      bool listed = false;
      for (const auto& t : s->inbound) {
        // a trunk without numbers takes every called number
        listed = listed || t.numbers.empty() || trunk_lists_number(t, number);
      }
      if (!listed) {
        std::string open_rule;
        for (const auto& r : s->rules) {
          if (r.trunk_ids.empty()) open_rule = r.sip_dispatch_rule_id;
        }
        if (open_rule.empty()) {
          return CheckResult::fail("no inbound trunk lists the called number " + number + " (" + list +
                                       "): the SIP bridge drops calls to it without an answer",
                                   "add " + number + " to the trunk's numbers, or create one: parley sip trunk create "
                                   "--name main --number " + number);
        }
        return CheckResult::warn("no inbound trunk lists " + number + " (" + list + "); calls to it get through only "
                                 "because dispatch rule " + open_rule + " takes calls from any trunk",
                                 "add " + number + " to the trunk's numbers (parley sip trunk create --number " + number +
                                     ") and bind the rule to it (--trunk)");
      }
    }
    return CheckResult::pass(std::to_string(s->inbound.size()) + " inbound trunk(s): " + list);
  }
};

}  // namespace

std::unique_ptr<Check> make_sip_trunk_check() { return std::make_unique<SipTrunkCheck>(); }

}  // namespace parley::diagnose
