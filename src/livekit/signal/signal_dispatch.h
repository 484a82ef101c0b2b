// Parsing and checking of untrusted signal frames. A frame that is not a valid SignalResponse,
// or whose content breaks the protocol (an offer without SDP, a trickle whose candidateInit is
// not JSON), becomes an Error with code kProtocol: never a crash, never a partial dispatch.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"
#include "livekit/signal/signal_handler.h"

namespace parley::livekit {

// Frames above this are refused (the server's own limit is 2 MiB).
inline constexpr size_t kMaxSignalMessageBytes = 2 * 1024 * 1024;

Result<::livekit::SignalResponse> parse_signal_response(std::span<const uint8_t> bytes);

// Checks msg and calls the handler's method for its case; unknown cases are ignored.
Status dispatch_signal_response(const ::livekit::SignalResponse& msg, SignalHandler& handler);

// TrickleRequest.candidateInit <-> CandidateInit. Tolerates null sdpMid/sdpMLineIndex/
// usernameFragment (pion sends null), rejects anything that is not a JSON object with a string
// "candidate".
Result<CandidateInit> parse_candidate_init(std::string_view json);
std::string format_candidate_init(const CandidateInit& c);

std::string_view case_name(const ::livekit::SignalResponse& msg);

}  // namespace parley::livekit
