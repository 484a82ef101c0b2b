#include "voice/turn_waterfall.h"

#include <algorithm>
#include <cmath>

namespace parley::voice {

std::string_view to_string(Hop hop) {
  switch (hop) {
    case Hop::kVad: return "vad";
    case Hop::kStt: return "stt";
    case Hop::kEndpointing: return "endpointing";
    case Hop::kLlm: return "llm";
    case Hop::kFirstSentence: return "first_sentence";
    case Hop::kTts: return "tts";
    case Hop::kPacing: return "pacing";
  }
  return "unknown";
}

void TurnWaterfall::mark(Hop hop, Clock::time_point at) {
  auto& m = marks_[static_cast<size_t>(hop)];
  if (!m) m = at;
}

std::vector<HopTime> TurnWaterfall::hops() const {
  std::vector<HopTime> out;
  auto previous = start_;
  for (size_t i = 0; i < kHopCount; ++i) {
    if (!marks_[i]) continue;
    auto end = std::max(previous, *marks_[i]);
    out.push_back({to_string(static_cast<Hop>(i)), std::chrono::duration<double>(end - previous).count()});
    previous = end;
  }
  return out;
}

std::optional<double> TurnWaterfall::total() const {
  auto h = hops();
  if (h.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& x : h) sum += x.seconds;
  return sum;
}

nlohmann::json to_json(const std::vector<HopTime>& hops) {
  auto j = nlohmann::json::object();
  for (const auto& h : hops) j[std::string(h.hop)] = std::round(h.seconds * 1e6) / 1e6;
  return j;
}

}  // namespace parley::voice
