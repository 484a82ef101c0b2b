// Where the time of one reply goes, hop by hop, from its start (the caller's last voiced frame
// for a turn, the request for fixed text such as the greeting) to the agent's first frame out:
//   vad            last voiced frame → the VAD's silence run says the speech ended
//   stt            → the recogniser's final text (requested when the speech ended)
//   endpointing    → the turn is taken (the rest of the endpointing wait)
//   llm            → the LLM's first token
//   first_sentence → the first whole sentence cut from the LLM's text
//   tts            → the first sentence's first synthesised audio
//   pacing         → the first 20 ms frame handed to the room
// Each hop ends at its mark and starts at the latest mark before it, so hops that were never
// reached (a greeting has no vad, stt, endpointing or llm) are skipped and the hops always add
// up to the total. Marks are kept as the pipeline's clock gives them; a mark earlier than the
// one before it (a recogniser that answered before the VAD) counts as a 0 s hop.
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace parley::voice {

enum class Hop { kVad, kStt, kEndpointing, kLlm, kFirstSentence, kTts, kPacing };
inline constexpr size_t kHopCount = 7;
std::string_view to_string(Hop hop);

struct HopTime {
  std::string_view hop;  // to_string(Hop): static storage
  double seconds = 0;
};

class TurnWaterfall {
 public:
  TurnWaterfall() = default;
  explicit TurnWaterfall(Clock::time_point start) : start_(start) {}

  Clock::time_point start() const { return start_; }
  // The hop ends now; the first mark of a hop counts (a reply's later sentences do not move it).
  void mark(Hop hop, Clock::time_point at);
  bool reached(Hop hop) const { return marks_[static_cast<size_t>(hop)].has_value(); }
  // The hops reached, in order; their sum is total().
  std::vector<HopTime> hops() const;
  // Start → the latest mark; nullopt before any mark.
  std::optional<double> total() const;

 private:
  Clock::time_point start_{};
  std::array<std::optional<Clock::time_point>, kHopCount> marks_{};
};

// {"vad": 0.18, "stt": 0.02, …} in seconds, rounded to the microsecond.
nlohmann::json to_json(const std::vector<HopTime>& hops);

}  // namespace parley::voice
