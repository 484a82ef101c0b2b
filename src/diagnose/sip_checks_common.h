// Shared by the SIP checks: the trunks and rules the sip_service check fetched.
#pragma once

#include <optional>
#include <vector>

#include "livekit/api/api_types.h"

namespace parley::diagnose {

struct SipState {
  std::vector<livekit::SipInboundTrunk> inbound;
  std::vector<livekit::SipDispatchRule> rules;
};

// Set by the sip_service check; read by sip_trunks, sip_dispatch and sip_agent.
std::optional<SipState>& sip_state();

}  // namespace parley::diagnose
