// How long to wait after the caller stops speaking before taking the turn: min_delay when the
// words look finished, up to max_delay when they look cut off ("and…", "the…", "um…"), the
// way LiveKit Agents' turn detector stretches its endpointing delay between min and max.
// A heuristic on the last word (English and Russian); no model needed.
#pragma once

#include <chrono>
#include <string_view>

namespace parley::voice {

struct EndpointingOptions {
  std::chrono::milliseconds min_delay{500};
  std::chrono::milliseconds max_delay{3000};
};

// True when the transcript ends in a word that rarely ends a turn (conjunction, article,
// preposition, filler) or in a comma.
bool looks_incomplete(std::string_view transcript);

std::chrono::milliseconds endpointing_delay(std::string_view transcript, const EndpointingOptions& options);

}  // namespace parley::voice
