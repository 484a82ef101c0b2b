#include "console/call_board.h"

#include <algorithm>
#include <cmath>

#include "console/sse.h"

namespace parley::console {

using namespace std::chrono;
using nlohmann::json;

namespace {

constexpr size_t kHistoryMinutes = 60;

json seconds(const std::optional<double>& v) {
  if (!v) return nullptr;
  return std::round(*v * 1000) / 1000;
}

// The events a viewer marks as a fallback (the rest are turn-taking). "llm_fallback:<from>:<to>"
// is a hand-over inside the LLM chain (the call's agent reports it; call_observer.h).
bool is_fallback(std::string_view event) {
  return event == "stt_error" || event == "llm_error" || event == "tts_error" || event == "tts_all_failed" ||
         event.rfind("llm_fallback:", 0) == 0;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  auto i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

CallBoard::CallBoard(CallBoardOptions options, WallClock now) : options_(options), now_(std::move(now)) {
  if (!now_) now_ = [] { return system_clock::now(); };
}

int64_t CallBoard::now_ms() const { return duration_cast<milliseconds>(now_().time_since_epoch()).count(); }

CallBoard::Call* CallBoard::find(const std::string& id) {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : &it->second;
}

const CallBoard::Call* CallBoard::find(const std::string& id) const {
  auto it = live_.find(id);
  if (it != live_.end()) return &it->second;
  for (const auto& c : ended_) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

CallBoard::Minute& CallBoard::minute_now() {
  int64_t m = now_ms() / 60'000;
  if (minutes_.empty() || minutes_.back().minute != m) {
    minutes_.push_back(Minute{m, live_.size(), live_.size(), {}});
    while (minutes_.size() > kHistoryMinutes) minutes_.pop_front();
  }
  return minutes_.back();
}

std::string CallBoard::begin(const std::string& call_id, const std::string& room, const std::string& caller) {
  std::lock_guard lock(mutex_);
  Call c;
  c.id = "c" + std::to_string(next_id_++);
  c.call_id = call_id;
  c.room = room;
  c.caller = caller;
  c.started_ms = now_ms();
  auto id = c.id;
  auto& stored = live_.emplace(id, std::move(c)).first->second;
  auto& m = minute_now();
  m.max_live = std::max(m.max_live, live_.size());
  m.last_live = live_.size();
  if (!viewers_.empty()) broadcast("call", summary(stored));
  return id;
}

void CallBoard::set_state(const std::string& id, std::string_view state) {
  std::lock_guard lock(mutex_);
  auto* c = find(id);
  if (!c || c->state == state) return;
  c->state = std::string(state);
  ++c->seq;
  if (!viewers_.empty()) broadcast("call", summary(*c));
}

CallBoard::Line& CallBoard::upsert_line(Call& c, const std::string& side, const std::string& segment) {
  // A segment's words arrive in pieces; the line is the latest few (a segment never lasts long).
  for (auto it = c.lines.rbegin(); it != c.lines.rend() && it - c.lines.rbegin() < 8; ++it) {
    if (it->side == side && it->segment == segment) return *it;
  }
  Line l;
  l.side = side;
  l.segment = segment;
  l.at_ms = now_ms();
  add_line(c, std::move(l));
  return c.lines.back();
}

void CallBoard::add_line(Call& c, Line line) {
  c.lines.push_back(std::move(line));
  while (c.lines.size() > options_.max_lines) {
    c.lines.pop_front();
    ++c.lines_dropped;
  }
}

void CallBoard::user_text(const std::string& id, const std::string& segment, const std::string& text, bool final) {
  std::lock_guard lock(mutex_);
  auto* c = find(id);
  if (!c) return;
  auto& l = upsert_line(*c, "caller", segment);
  l.text = text;
  l.final = final;
  l.seq = ++c->seq;
  if (!viewers_.empty()) broadcast("line", {{"call", id}, {"seq", c->seq}, {"line", line_json(l)}});
}

void CallBoard::agent_text(const std::string& id, const std::string& segment, const std::string& delta, bool final) {
  std::lock_guard lock(mutex_);
  auto* c = find(id);
  if (!c) return;
  auto& l = upsert_line(*c, "agent", segment);
  l.text += delta;
  l.final = final;
  l.seq = ++c->seq;
  if (!viewers_.empty()) broadcast("line", {{"call", id}, {"seq", c->seq}, {"line", line_json(l)}});
}

void CallBoard::turn(const std::string& id, const voice::TurnMetrics& metrics) {
  std::lock_guard lock(mutex_);
  auto* c = find(id);
  if (!c) return;
  c->turns.push_back(Turn{metrics, now_ms()});
  while (c->turns.size() > options_.max_turns) {
    c->turns.pop_front();
    ++c->turns_dropped;
  }
  ++c->turn_count;
  c->last_latency = metrics.end_to_end;
  // The chart is spoken turns' latency, as parley_voice_end_to_end_latency_seconds.
  if (metrics.end_to_end && !metrics.keypad) minute_now().end_to_end.push_back(*metrics.end_to_end);
  ++c->seq;
  if (!viewers_.empty()) {
    broadcast("turn", {{"call", id}, {"seq", c->seq}, {"turn", turn_json(c->turns.back())}});
    broadcast("call", summary(*c));
  }
}

void CallBoard::event(const std::string& id, const std::string& event) {
  std::lock_guard lock(mutex_);
  auto* c = find(id);
  if (!c) return;
  if (event == "interruption") ++c->interruptions;
  if (is_fallback(event)) ++c->fallbacks;
  Line l;
  l.side = "event";
  l.text = event;
  l.final = true;
  l.at_ms = now_ms();
  l.seq = ++c->seq;
  add_line(*c, l);
  if (!viewers_.empty()) broadcast("line", {{"call", id}, {"seq", c->seq}, {"line", line_json(l)}});
}

void CallBoard::end(const std::string& id, const std::string& reason) {
  std::lock_guard lock(mutex_);
  auto it = live_.find(id);
  if (it == live_.end()) return;
  auto& minute = minute_now();  // counts the call as in progress in this minute
  Call c = std::move(it->second);
  live_.erase(it);
  minute.last_live = live_.size();
  c.live = false;
  c.state = "ended";
  c.end_reason = reason;
  c.ended_ms = now_ms();
  ++c.seq;
  ended_.push_front(std::move(c));
  while (ended_.size() > options_.ended_calls) ended_.pop_back();
  if (!viewers_.empty()) broadcast("call", summary(ended_.front()));
}

json CallBoard::line_json(const Line& l) {
  return {{"seq", l.seq}, {"side", l.side}, {"segment", l.segment}, {"text", l.text}, {"final", l.final}, {"at", l.at_ms}};
}

json CallBoard::turn_json(const Turn& t) {
  const auto& m = t.metrics;
  json j = {{"turn", m.turn},
            {"end_of_utterance", seconds(m.end_of_utterance_delay)},
            {"stt", seconds(m.stt_latency)},
            {"llm_first_token", seconds(m.llm_ttft)},
            {"tts_first_audio", seconds(m.tts_ttfb)},
            {"end_to_end", seconds(m.end_to_end)},
            {"interrupted", m.interrupted},
            {"stt_failed", m.stt_failed},
            {"llm_failed", !m.llm_error.empty()},
            {"keypad", m.keypad ? json(std::string(1, *m.keypad)) : json(nullptr)},
            {"at", t.at_ms}};
  if (!m.hops.empty()) j["waterfall"] = voice::to_json(m.hops);
  return j;
}

json CallBoard::summary(const Call& c) const {
  int64_t end = c.live ? now_ms() : c.ended_ms;
  return {{"id", c.id},
          {"call_id", c.call_id},
          {"room", c.room},
          {"caller", c.caller},
          {"state", c.state},
          {"live", c.live},
          {"started", c.started_ms},
          {"ended", c.live ? json(nullptr) : json(c.ended_ms)},
          {"duration", std::round(static_cast<double>(end - c.started_ms) / 100.0) / 10.0},
          {"turns", c.turn_count},
          {"last_latency", seconds(c.last_latency)},
          {"interruptions", c.interruptions},
          {"fallbacks", c.fallbacks},
          {"end_reason", c.end_reason},
          {"seq", c.seq}};
}

json CallBoard::list_locked() const {
  std::vector<const Call*> live;
  for (const auto& [id, c] : live_) live.push_back(&c);
  std::sort(live.begin(), live.end(), [](const Call* a, const Call* b) { return a->started_ms < b->started_ms; });
  json out = json::array();
  for (const auto* c : live) out.push_back(summary(*c));
  for (const auto& c : ended_) out.push_back(summary(c));
  return out;
}

json CallBoard::calls_json() const {
  std::lock_guard lock(mutex_);
  return list_locked();
}

std::optional<json> CallBoard::call_json(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto* c = find(id);
  if (!c) return std::nullopt;
  json j = summary(*c);
  json lines = json::array();
  for (const auto& l : c->lines) lines.push_back(line_json(l));
  json turns = json::array();
  for (const auto& t : c->turns) turns.push_back(turn_json(t));
  j["lines"] = std::move(lines);
  j["lines_dropped"] = c->lines_dropped;
  j["turn_list"] = std::move(turns);
  j["turns_dropped"] = c->turns_dropped;
  return j;
}

json CallBoard::history_json() const {
  std::lock_guard lock(mutex_);
  int64_t now_min = now_ms() / 60'000;
  json out = json::array();
  std::optional<size_t> carried;  // calls in progress since the last minute with a change
  auto next = minutes_.begin();
  for (int64_t m = now_min - static_cast<int64_t>(kHistoryMinutes) + 1; m <= now_min; ++m) {
    while (next != minutes_.end() && next->minute < m) carried = (next++)->last_live;
    json p = {{"t", m * 60}, {"calls", nullptr}, {"p50", nullptr}, {"p95", nullptr}};
    if (next != minutes_.end() && next->minute == m) {
      p["calls"] = next->max_live;
      if (!next->end_to_end.empty()) {
        p["p50"] = std::round(percentile(next->end_to_end, 0.5) * 1000) / 1000;
        p["p95"] = std::round(percentile(next->end_to_end, 0.95) * 1000) / 1000;
      }
    } else if (carried) {
      p["calls"] = *carried;
    }
    if (m == now_min) p["calls"] = std::max(p["calls"].is_null() ? size_t{0} : p["calls"].get<size_t>(), live_.size());
    out.push_back(std::move(p));
  }
  return out;
}

void CallBoard::broadcast(std::string_view event, const json& data) {
  std::string frame = sse_event(event, data.dump(), next_event_++);
  viewers_.erase(std::remove_if(viewers_.begin(), viewers_.end(), [&](const auto& v) { return !v->send(frame); }),
                 viewers_.end());
}

bool CallBoard::watch(std::shared_ptr<service::HttpStream> viewer) {
  std::lock_guard lock(mutex_);
  viewers_.erase(std::remove_if(viewers_.begin(), viewers_.end(), [](const auto& v) { return v->closed(); }),
                 viewers_.end());
  if (viewers_.size() >= options_.max_viewers) return false;
  json calls = list_locked();
  // Tells EventSource how long to wait before reconnecting, then the state to start from.
  if (!viewer->send("retry: 2000\n\n" + sse_event("snapshot", json{{"calls", calls}}.dump(), next_event_++))) return true;
  viewers_.push_back(std::move(viewer));
  return true;
}

void CallBoard::heartbeat() {
  std::lock_guard lock(mutex_);
  if (viewers_.empty()) return;
  auto frame = sse_comment("keep-alive");
  viewers_.erase(std::remove_if(viewers_.begin(), viewers_.end(), [&](const auto& v) { return !v->send(frame); }),
                 viewers_.end());
}

size_t CallBoard::viewers() const {
  std::lock_guard lock(mutex_);
  return viewers_.size();
}

size_t CallBoard::live_calls() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

std::vector<std::string> CallBoard::live_rooms(std::string_view prefix) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [id, c] : live_) {
    if (c.room.rfind(prefix, 0) == 0) out.push_back(c.room);
  }
  return out;
}

size_t CallBoard::ended_calls() const {
  std::lock_guard lock(mutex_);
  return ended_.size();
}

}  // namespace parley::console
