// Which of our lines a call is on, and so its language, greeting and engines. A phone call's
// line is found by our number on it — LiveKit's SIP bridge sets sip.trunkPhoneNumber on the
// caller's participant: the number dialled for an inbound call, the number calling out for an
// outbound one — in agent.numbers, else by its trunk (sip.trunkID) in agent.trunks; any other
// call (no match, not a phone call) is held in agent.language with the providers' chains.
#pragma once

#include <map>
#include <string>

#include "agent/provider_set.h"
#include "core/config.h"

namespace parley::agent {

struct CallLine {
  std::string language;
  std::string greeting;  // "" = none configured for the language
  ProviderSet::Chain stt, llm, tts;  // empty = the default chains
  std::string matched;   // "number", "trunk" or "default", for the call's log
};

CallLine call_line(const Config& config, const std::map<std::string, std::string>& caller_attributes);

}  // namespace parley::agent
