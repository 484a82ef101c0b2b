// How long to wait after the caller's voice ends before taking the turn, from the words so far:
//   min_delay  the words are a finished turn: a question mark (recognisers that punctuate), or a
//              script intent's phrase covers the last word ("what are your opening hours")
//   max_delay  they look cut off ("and…", "the…", "um…", a comma), the way LiveKit Agents'
//              turn detector stretches its endpointing delay up to its maximum
//   delay      anything else
// A heuristic on the last words (English and Russian) and the script's intents; no model needed.
// With min_delay = delay the wait does not shorten (the fixed wait of earlier versions).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace parley::providers {
class Script;
}

namespace parley::voice {

struct EndpointingOptions {
  std::chrono::milliseconds min_delay{500};
  std::chrono::milliseconds delay{500};
  std::chrono::milliseconds max_delay{3000};
  const providers::Script* script = nullptr;  // intents that mark a finished turn; null: none
  std::string language = "en";
};

enum class TurnShape { kFinished, kUnfinished, kUnknown };

// True when the transcript ends in a word that rarely ends a turn (conjunction, article,
// preposition, filler) or in a comma.
bool looks_incomplete(std::string_view transcript);
// True when a phrase of the intent the script matches covers the transcript's last word.
bool ends_in_intent(std::string_view transcript, const providers::Script& script, std::string_view language);
TurnShape turn_shape(std::string_view transcript, const EndpointingOptions& options);

std::chrono::milliseconds endpointing_delay(std::string_view transcript, const EndpointingOptions& options);

}  // namespace parley::voice
