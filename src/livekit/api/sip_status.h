// `parley sip status` as a pure function: every way the trunks and rules on the server
// disagree with parley's sip: configuration, each with the command or setting that fixes it.
#pragma once

#include <string>
#include <vector>

#include "livekit/api/sip_setup_plan.h"

namespace parley::livekit {

struct SipFinding {
  std::string message, fix;
};

std::vector<SipFinding> check_sip_status(const SipDesired& want, const std::vector<SipInboundTrunk>& trunks,
                                         const std::vector<SipDispatchRule>& rules);

}  // namespace parley::livekit
