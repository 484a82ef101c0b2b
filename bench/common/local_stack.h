// The local stack as the C++ benches reach it: LIVEKIT_URL, LIVEKIT_API_KEY and
// LIVEKIT_API_SECRET from the environment (bench/stack_run.sh), the dev server and its dev keys
// (devkey / secret) when unset. Header-only: each bench is one executable.
#pragma once

#include <chrono>
#include <cstdlib>
#include <string>

#include "livekit/auth/access_token.h"

namespace parley::bench {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

inline std::string local_url() { return env_or("LIVEKIT_URL", "ws://127.0.0.1:7880"); }

// A two-hour token for `identity` to join `room`.
inline Result<std::string> local_join_token(const std::string& room, const std::string& identity) {
  livekit::TokenClaims c;
  c.identity = identity;
  c.video = livekit::VideoGrant{};
  c.video->room_join = true;
  c.video->room = room;
  return livekit::mint_token(c, env_or("LIVEKIT_API_KEY", "devkey"), env_or("LIVEKIT_API_SECRET", "secret"),
                             std::chrono::hours(2));
}

}  // namespace parley::bench
