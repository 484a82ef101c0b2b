#include "voice/turn_metrics.h"

#include "core/metrics.h"

namespace parley::voice {

nlohmann::json TurnMetrics::to_json() const {
  nlohmann::json j;
  j["turn"] = turn;
  auto put = [&](const char* k, const std::optional<double>& v) {
    if (v) j[k] = std::round(*v * 1e6) / 1e6;
  };
  put("end_of_utterance_delay", end_of_utterance_delay);
  put("stt_latency", stt_latency);
  put("llm_ttft", llm_ttft);
  put("tts_ttfb", tts_ttfb);
  put("end_to_end", end_to_end);
  put("lead_in_trimmed", lead_in_trimmed);
  put("endpointing_wait", endpointing_wait);
  put("vad_hangover", vad_hangover);
  if (preemptive) j["preemptive"] = true;
  if (!hops.empty()) j["waterfall"] = voice::to_json(hops);
  if (first_frame_unix) j["first_frame_unix"] = std::round(*first_frame_unix * 1e6) / 1e6;
  if (interrupted) j["interrupted"] = true;
  if (stt_failed) j["stt_failed"] = true;
  if (!llm_error.empty()) j["llm_error"] = llm_error;
  if (keypad) j["keypad"] = std::string(1, *keypad);
  return j;
}

namespace {

struct TurnHistograms {
  metrics::Histogram &eou, &stt, &ttft, &ttfb, &e2e;
  metrics::HistogramFamily& hops;
};

TurnHistograms& histograms() {
  auto& r = metrics::registry();
  static TurnHistograms h{
      r.histogram("parley_voice_end_of_utterance_delay_seconds", "Caller's last speech to the agent taking the turn").get(),
      r.histogram("parley_voice_stt_latency_seconds", "End of an utterance to its final text").get(),
      r.histogram("parley_voice_llm_ttft_seconds", "LLM request to its first token").get(),
      r.histogram("parley_voice_tts_ttfb_seconds", "First sentence sent to TTS to its first audio").get(),
      r.histogram("parley_voice_end_to_end_latency_seconds", "Caller's last speech to the agent's first audio frame").get(),
      r.histogram("parley_voice_turn_hop_seconds", "A turn's end-to-end latency cut into hops (vad, stt, endpointing, llm, first_sentence, tts, pacing)",
                  {"hop"})};
  return h;
}

}  // namespace

void register_metrics() {
  auto& h = histograms();
  for (size_t i = 0; i < kHopCount; ++i) h.hops.with({std::string(to_string(static_cast<Hop>(i)))});
}

void observe(const TurnMetrics& m) {
  auto& h = histograms();
  if (m.end_of_utterance_delay) h.eou.observe(*m.end_of_utterance_delay);
  if (m.stt_latency) h.stt.observe(*m.stt_latency);
  if (m.llm_ttft) h.ttft.observe(*m.llm_ttft);
  if (m.tts_ttfb) h.ttfb.observe(*m.tts_ttfb);
  if (m.end_to_end && !m.keypad) h.e2e.observe(*m.end_to_end);  // speech to speech only
  for (const auto& hop : m.hops) h.hops.with({std::string(hop.hop)}).observe(hop.seconds);
}

}  // namespace parley::voice
