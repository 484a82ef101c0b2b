// Validation of the sip: section (kept apart from config.cpp, which reads it).
#pragma once

#include <vector>

#include "core/config.h"

namespace parley {

// Rewrites sip.inbound_trunk.numbers to E.164 and adds an issue for each value that is wrong.
void validate_sip(SipConfig& sip, std::vector<ConfigIssue>& issues);

}  // namespace parley
