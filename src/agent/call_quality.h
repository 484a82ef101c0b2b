// The call's audio quality on both legs as parley's side of the room sees them, for the call
// record ("call ended") and the metrics:
// - caller → agent: the caller's track as parley receives it (loss, jitter, concealed share);
// - agent → caller: parley's voice as the server reports receiving it (loss, jitter).
//
// Metrics, observed once per call for each measured leg (leg="caller_to_agent"|"agent_to_caller"):
// parley_call_packet_loss_ratio{leg}, parley_call_jitter_seconds{leg},
// parley_call_concealed_ratio{leg} (caller_to_agent only), and the running totals
// parley_call_rtp_packets_expected_total{leg} / parley_call_rtp_packets_lost_total{leg}.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "livekit/room/audio_quality.h"

namespace parley::agent {

struct CallQuality {
  std::optional<livekit::AudioQuality> caller_to_agent;
  std::optional<livekit::AudioQuality> agent_to_caller;

  bool empty() const { return !caller_to_agent && !agent_to_caller; }
  // {"caller_to_agent": {...}, "agent_to_caller": {...}}, each leg only when measured.
  nlohmann::json to_json() const;
  // Adds this call's figures to the metrics above.
  void observe() const;
};

}  // namespace parley::agent
