// A dispatch rule that names agents creates rooms with exactly those agents
// (livekit-protocol.md §9); if parley's agent.agent_name is not among them, parley is never
// dispatched to the calls that rule routes.
#include "diagnose/checks.h"
#include "diagnose/sip_checks_common.h"

namespace parley::diagnose {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + (s.empty() ? std::string("(unnamed)") : s);
  return out;
}

class SipAgentCheck final : public Check {
 public:
  std::string name() const override { return "sip_agent"; }
  std::string title() const override { return "dispatch rules name parley's agent"; }
  std::vector<std::string> depends_on() const override { return {"sip_dispatch"}; }
  CheckResult run(Context& ctx) override {
    const auto& s = sip_state();
    if (!s) return CheckResult::skip("no SIP state");
    const std::string mine = ctx.config().agent.agent_name;
    std::vector<std::string> wrong, named;
    for (const auto& r : s->rules) {
      if (r.agent_names.empty()) continue;
      named.push_back(r.sip_dispatch_rule_id);
      if (std::find(r.agent_names.begin(), r.agent_names.end(), mine) == r.agent_names.end()) {
        wrong.push_back(r.sip_dispatch_rule_id + " dispatches [" + join(r.agent_names) + "]");
      }
    }
    if (!wrong.empty()) {
      std::string detail;
      for (const auto& w : wrong) detail += (detail.empty() ? "" : "; ") + w;
      return CheckResult::fail(detail + ", but parley's agent.agent_name is '" + mine + "'",
                               "set agent.agent_name to the rule's agent name, or recreate the rule with "
                               "`parley sip dispatch create --agent " + (mine.empty() ? std::string("<name>") : mine) + "`");
    }
    if (named.empty()) {
      return CheckResult::pass("no rule names agents: call rooms get the default (unnamed) agent dispatch" +
                               std::string(mine.empty() ? "" : "; parley joins calls through webhooks"));
    }
    return CheckResult::pass(std::to_string(named.size()) + " rule(s) name agent '" + mine + "'");
  }
};

}  // namespace

std::unique_ptr<Check> make_sip_agent_check() { return std::make_unique<SipAgentCheck>(); }

}  // namespace parley::diagnose
