#include "agent/call_quality.h"

#include "core/metrics.h"

namespace parley::agent {

namespace {

constexpr const char* kCallerToAgent = "caller_to_agent";
constexpr const char* kAgentToCaller = "agent_to_caller";

metrics::HistogramFamily& loss_histogram() {
  static auto& h = metrics::registry().histogram("parley_call_packet_loss_ratio",
                                                 "Share of RTP packets lost per call and leg", {"leg"},
                                                 {0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1});
  return h;
}
metrics::HistogramFamily& jitter_histogram() {
  static auto& h = metrics::registry().histogram("parley_call_jitter_seconds",
                                                 "RFC 3550 interarrival jitter at the end of a call, per leg", {"leg"},
                                                 {0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2});
  return h;
}
metrics::HistogramFamily& concealed_histogram() {
  static auto& h = metrics::registry().histogram("parley_call_concealed_ratio",
                                                 "Share of played audio made up by packet-loss concealment per call",
                                                 {"leg"}, {0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1});
  return h;
}
metrics::CounterFamily& expected_counter() {
  static auto& c = metrics::registry().counter("parley_call_rtp_packets_expected_total",
                                               "RTP packets sent on a leg of ended calls, by sequence numbers", {"leg"});
  return c;
}
metrics::CounterFamily& lost_counter() {
  static auto& c = metrics::registry().counter("parley_call_rtp_packets_lost_total",
                                               "RTP packets lost on a leg of ended calls", {"leg"});
  return c;
}

void observe_leg(const char* leg, const std::optional<livekit::AudioQuality>& q) {
  if (!q || !q->measured) return;
  loss_histogram().with({leg}).observe(q->loss_ratio());
  jitter_histogram().with({leg}).observe(q->jitter_ms / 1000.0);
  if (auto c = q->concealed_share()) concealed_histogram().with({leg}).observe(*c);
  expected_counter().with({leg}).inc(static_cast<double>(q->expected));
  lost_counter().with({leg}).inc(static_cast<double>(std::max<int64_t>(0, q->lost)));
}

}  // namespace

nlohmann::json CallQuality::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (caller_to_agent) j[kCallerToAgent] = caller_to_agent->to_json();
  if (agent_to_caller) j[kAgentToCaller] = agent_to_caller->to_json();
  return j;
}

void CallQuality::observe() const {
  observe_leg(kCallerToAgent, caller_to_agent);
  observe_leg(kAgentToCaller, agent_to_caller);
}

}  // namespace parley::agent
