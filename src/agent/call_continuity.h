// What lets another worker carry on a call whose worker died (agent.dispatch: worker;
// docs/scaling.md "When a worker dies").
//
// While a call runs, its agent keeps the room's metadata up to date under the key "parley":
// which process runs the call (`owner`: its instance id, the URL of its /healthz and the job id)
// and the conversation so far (`turns`, the last kMaxTurns, each cut to kMaxTurnChars). The room's
// metadata lives on the server (in Redis with several nodes) for as long as the room, and the
// server hands it to the next job in Job.room.metadata, so a worker that takes the call over
// knows the turns without asking anyone. The room's lk.transcription streams are no such source:
// LiveKit keeps no history of text streams, so a participant that joins later never sees the
// earlier ones.
//
// A call taken over (`resumed`) starts with a short apology instead of the greeting and with the
// turns recovered as its chat context.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley::agent {

struct CallTurn {
  std::string role;  // "user" or "assistant"
  std::string text;
};

struct CallContinuity {
  nlohmann::json owner;          // {"instance","probe","job"}; null: nothing is written
  nlohmann::json room_metadata;  // the room's metadata as the job saw it: other keys are kept
  bool resumed = false;          // a call taken over from a worker that died
  std::vector<CallTurn> history; // the turns recovered from the room's metadata
};

inline constexpr size_t kMaxTurns = 20;
inline constexpr size_t kMaxTurnChars = 400;
inline constexpr const char* kMetadataKey = "parley";

// The room's metadata as a JSON object ({} when empty; nullopt when it is something else,
// which parley then leaves alone).
std::optional<nlohmann::json> room_metadata_object(const std::string& metadata);
// The room's metadata with "parley" set to the owner and the last turns.
std::string continuity_metadata(const nlohmann::json& room_metadata, const nlohmann::json& owner,
                                const std::vector<CallTurn>& turns);
// The turns and the owner written by continuity_metadata (empty / null when absent).
std::vector<CallTurn> turns_from_metadata(const nlohmann::json& room_metadata);
nlohmann::json owner_from_metadata(const nlohmann::json& room_metadata);

}  // namespace parley::agent
