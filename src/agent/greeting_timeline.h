// Time to greeting, hop by hop, from the call reaching parley to the greeting's first frame:
//   admission    the webhook (participant_joined; a worker's job) received → admission starts
//                the call's session
//   join         → the agent has joined the room (signal, ICE, DTLS)
//   subscribe    → the caller's audio is subscribed (a phone call: the bridge says answered)
//   synthesis    → the greeting's first synthesised audio
//   first_frame  → its first 20 ms frame handed to the room (the playout's pacing)
// A mark never reached is skipped and the next hop starts at the mark before it, so the hops
// add up to the total. Wall-clock time points: the webhook's arrives from admission's thread,
// and every mark is taken on this one machine.
//
// Metrics: parley_greeting_hop_seconds{hop}, parley_greeting_seconds (the total).
#pragma once

#include <array>
#include <chrono>
#include <optional>

#include <nlohmann/json.hpp>

#include "voice/turn_waterfall.h"

namespace parley::agent {

class GreetingTimeline {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  GreetingTimeline() = default;
  // `received`: the webhook's arrival (nullopt: the session was not started by a webhook, and
  // the timeline starts at `admitted`).
  GreetingTimeline(std::optional<TimePoint> received, TimePoint admitted);

  void joined(TimePoint at) { mark(kJoin, at); }
  void subscribed(TimePoint at) { mark(kSubscribe, at); }
  // The greeting's first frame leaves now; its reply's waterfall says how long that frame
  // waited for pacing after the synthesiser's first audio.
  void audible(TimePoint now, const voice::TurnWaterfall& reply);

  bool complete() const { return marks_[kFirstFrame].has_value(); }
  std::vector<voice::HopTime> hops() const;
  double total() const;
  // {"hops": {...}, "total": s, "first_frame_unix": Unix seconds once complete}
  nlohmann::json to_json() const;
  // Into the process-wide histograms (once, when complete).
  void observe() const;
  static void register_metrics();

 private:
  enum Mark { kAdmission, kJoin, kSubscribe, kSynthesis, kFirstFrame, kMarkCount };
  void mark(Mark m, TimePoint at);

  TimePoint start_{};
  std::array<std::optional<TimePoint>, kMarkCount> marks_{};
};

}  // namespace parley::agent
