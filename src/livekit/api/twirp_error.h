// What a LiveKit server API answer that is not 2xx means. The server answers in two styles
// (livekit-protocol.md §5): Twirp JSON errors ({"code","msg","meta"}) from the services, and plain
// text from its auth middleware ("invalid API key: K", "invalid token: <jwt>, error: …"). Both are
// turned into an Error that names the cause and the fix.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace parley::livekit {

struct TwirpError {
  int status = 0;          // HTTP status
  std::string code;        // Twirp code ("not_found"); "" for a plain-text answer
  std::string msg;         // Twirp msg, or the plain-text body (trimmed, at most 500 bytes)
  std::map<std::string, std::string> meta;
  bool plain_text = false;
};

// Never fails: any body (empty, binary, truncated JSON) gives a TwirpError.
TwirpError parse_twirp_error(int status, std::string_view body);

// The Twirp code's ErrorCode (unauthenticated -> kUnauthenticated, …); without a known Twirp
// code, the status's (net::classify_http_status).
ErrorCode error_code_for(const TwirpError& e);

// Context for explaining an error: which key signed the request, and the server's and local
// clocks (from the Date header) to tell clock skew from a wrong secret.
struct ErrorContext {
  std::string method;   // "RoomService.CreateRoom"
  std::string api_key;
  std::optional<std::chrono::seconds> clock_skew;  // server clock minus the token clock
  std::chrono::seconds leeway{60};
};

// The explained Error. Messages:
//   unknown key:    "unknown API key K: the server's keys do not include it (fix: …)"
//   wrong secret:   "the secret for API key K does not match the server's (fix: …)"
//   clock skew:     "the server rejected the token: the clocks differ by N s, more than … (fix: …)"
//   SIP without Redis: "the server's SIP service is not connected: …redis.address…"
//   Twirp:          "<Method>: <code>: <msg>"
Error explain_api_error(const TwirpError& e, const ErrorContext& ctx);

// True for the server's "sip not connected (redis required)".
bool is_sip_not_connected(const TwirpError& e);

}  // namespace parley::livekit
