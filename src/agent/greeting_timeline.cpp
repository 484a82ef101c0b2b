#include "agent/greeting_timeline.h"

#include <algorithm>
#include <cmath>

#include "core/metrics.h"

namespace parley::agent {

namespace {

constexpr std::array<std::string_view, 5> kHopNames = {"admission", "join", "subscribe", "synthesis", "first_frame"};

metrics::HistogramFamily& hop_histogram() {
  static auto& h = metrics::registry().histogram(
      "parley_greeting_hop_seconds",
      "Time to greeting hop by hop (admission, join, subscribe, synthesis, first_frame)", {"hop"});
  return h;
}
metrics::HistogramFamily& total_histogram() {
  static auto& h = metrics::registry().histogram("parley_greeting_seconds",
                                                 "Call received (webhook) to the greeting's first frame sent");
  return h;
}

}  // namespace

GreetingTimeline::GreetingTimeline(std::optional<TimePoint> received, TimePoint admitted) {
  start_ = received.value_or(admitted);
  if (received) mark(kAdmission, admitted);
}

void GreetingTimeline::mark(Mark m, TimePoint at) {
  if (!marks_[m]) marks_[m] = at;
}

void GreetingTimeline::audible(TimePoint now, const voice::TurnWaterfall& reply) {
  double pacing = 0;
  for (const auto& h : reply.hops()) {
    if (h.hop == voice::to_string(voice::Hop::kPacing)) pacing = h.seconds;
  }
  mark(kSynthesis, now - std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(pacing)));
  mark(kFirstFrame, now);
}

std::vector<voice::HopTime> GreetingTimeline::hops() const {
  std::vector<voice::HopTime> out;
  auto previous = start_;
  for (size_t i = 0; i < kMarkCount; ++i) {
    if (!marks_[i]) continue;
    auto end = std::max(previous, *marks_[i]);
    out.push_back({kHopNames[i], std::chrono::duration<double>(end - previous).count()});
    previous = end;
  }
  return out;
}

double GreetingTimeline::total() const {
  double sum = 0;
  for (const auto& h : hops()) sum += h.seconds;
  return sum;
}

nlohmann::json GreetingTimeline::to_json() const {
  nlohmann::json j = {{"hops", voice::to_json(hops())}, {"total", std::round(total() * 1e6) / 1e6}};
  if (complete()) {
    // A test caller on the same machine lines its own clock up with parley's by it.
    j["first_frame_unix"] = std::round(std::chrono::duration<double>(marks_[kFirstFrame]->time_since_epoch()).count() * 1e6) / 1e6;
  }
  return j;
}

void GreetingTimeline::observe() const {
  for (const auto& h : hops()) hop_histogram().with({std::string(h.hop)}).observe(h.seconds);
  total_histogram().get().observe(total());
}

void GreetingTimeline::register_metrics() {
  for (auto name : kHopNames) hop_histogram().with({std::string(name)});
  total_histogram().get();
}

}  // namespace parley::agent
