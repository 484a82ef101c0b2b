// diagnose's test call: parley's own SIP phone calls the bridge while the server API is watched,
// and the verdict names each step reached with its time and, at the first one missed, the
// cause and fix. Used by `parley diagnose --call NUMBER` and by the sip_call check.
#pragma once

#include <chrono>
#include <string>

#include "diagnose/call_verdict.h"
#include "diagnose/check.h"

namespace parley::diagnose {

struct TestCallOptions {
  std::string number;       // the called number (a trunk's number)
  std::string caller = "+15550199";
  std::string sip_address;  // host[:port] of the bridge; "" = derived from livekit.url
  std::string username, password;  // digest credentials, for a trunk with auth
  std::chrono::milliseconds answer_timeout{20'000};  // INVITE -> 200 OK
  std::chrono::milliseconds listen{8'000};           // after 200: how long to wait for the greeting
  // Built from the diagnose.* settings.
  static TestCallOptions from_config(const Config& config);
};

// The bridge's address when none is configured: the LiveKit host on port 5060 (a self-hosted
// bridge runs beside the server); "" for LiveKit Cloud, whose SIP host differs per project.
std::string default_sip_address(const Config& config);

// Places the call; an error only when it cannot be placed (bad address, no socket).
Result<CallVerdict> run_test_call(Context& ctx, const TestCallOptions& options);

}  // namespace parley::diagnose
