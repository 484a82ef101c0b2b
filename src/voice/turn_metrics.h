// Per-turn latencies (seconds), as LiveKit Agents reports them, and their Prometheus histograms:
//   parley_voice_end_of_utterance_delay_seconds  caller's last speech → turn taken
//   parley_voice_stt_latency_seconds             utterance ended → its final text
//   parley_voice_llm_ttft_seconds                LLM request → first token
//   parley_voice_tts_ttfb_seconds                first sentence sent to TTS → its first audio
//   parley_voice_end_to_end_latency_seconds      caller's last speech → agent's first frame out
//   parley_voice_turn_hop_seconds{hop}           the end-to-end time cut into hops (turn_waterfall.h);
//                                                a turn's hops add up to its end_to_end
// A keypad turn has no speech: its end_to_end runs from the digit received to the agent's first
// frame out, shown with the turn (the console's call view) but kept out of the speech histogram.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "voice/turn_waterfall.h"

namespace parley::voice {

struct TurnMetrics {
  int turn = 0;                      // 1, 2, … within the call
  std::optional<double> end_of_utterance_delay;
  std::optional<double> stt_latency;
  std::optional<double> llm_ttft;
  std::optional<double> tts_ttfb;
  std::optional<double> end_to_end;
  std::vector<HopTime> hops;         // end_to_end hop by hop (set with it)
  // The first frame's calendar time (Unix seconds): a test caller on the same machine lines its
  // own clock up with parley's hops by it (the caller → parley and parley → caller trips).
  std::optional<double> first_frame_unix;
  // Leading silence of the synthesised answer cut before its first frame (lead_in_trimmer.h):
  // the caller hears the first word this much sooner than the engine's audio alone would give.
  std::optional<double> lead_in_trimmed;
  // How long the VAD went on calling the caller's audio speech after the voice ended
  // (voice_end.h): not waited for, since the turn's clock starts at the voice's end.
  std::optional<double> vad_hangover;
  // The endpointing wait chosen from the words (endpointing.h: min, default or max delay).
  std::optional<double> endpointing_wait;
  // The reply was generated while the endpointing wait ran and played when the turn was taken.
  bool preemptive = false;
  bool interrupted = false;          // the caller cut the reply short
  bool stt_failed = false;
  std::string llm_error;             // "" unless the LLM chain failed
  std::optional<char> keypad;        // the digit, when the caller's turn was a keypad press

  nlohmann::json to_json() const;
};

// Adds one observation to the process-wide histograms (skipping unknown values).
void observe(const TurnMetrics& m);
// Exports the turn histograms at zero before the first turn, so that Prometheus' increase()
// and rate() count the first turn too (a series that appears at 1 has no increase).
void register_metrics();

}  // namespace parley::voice
