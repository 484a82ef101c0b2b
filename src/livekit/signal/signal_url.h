// The /rtc URL of LiveKit's v0 signal protocol (two PeerConnections): the token and the client
// description go in the query (livekit-protocol.md §2.1). A resume adds reconnect=1, the
// participant sid and the reason.
#pragma once

#include <string>

#include "core/error.h"
#include "core/url.h"

namespace parley::livekit {

inline constexpr int kSignalProtocolVersion = 17;
inline constexpr const char* kSdkVersion = "0.1.0";

struct SignalUrlOptions {
  std::string token;
  bool auto_subscribe = true;
  // 0: classic data streams (header, chunk, trailer) — what parley decodes.
  int client_protocol = 0;
  std::string os = "linux";
  // Resume (reconnect=1): the PA_ sid from the JoinResponse and a ReconnectReason value.
  std::string resume_sid;
  int reconnect_reason = 0;
};

// Parses a LiveKit URL (ws, wss, http or https; any path prefix kept) and returns the
// WebSocket URL whose path is "<prefix>/rtc?access_token=…&…".
Result<Url> make_signal_url(const std::string& livekit_url, const SignalUrlOptions& options);

}  // namespace parley::livekit
