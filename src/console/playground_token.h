// The playground's ticket: a fresh room (parley-playground-<random>) and a token that lets one
// browser join that room only, publish its microphone and send keypad digits, for a short time.
// The agent joins as it would for a caller (the room matches calls.room_patterns; as an agent
// worker, the token's room configuration dispatches agent.agent_name).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/error.h"

namespace parley::console {

struct PlaygroundTicket {
  std::string url;       // where the browser connects (console.livekit_url, else livekit.url as ws://)
  std::string room;
  std::string identity;
  std::string token;
  nlohmann::json to_json() const;
};

Result<PlaygroundTicket> mint_playground_ticket(const Config& config);

// livekit.url as a browser's WebSocket URL (http → ws, https → wss).
std::string browser_livekit_url(const Config& config);

}  // namespace parley::console
