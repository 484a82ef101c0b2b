// What the console shows: the calls in progress and the last ended ones, each with its state,
// both sides' words, each turn's latencies and the fallbacks, and per-minute figures for the
// charts; and the viewers (Server-Sent Events streams) that are sent every change as it happens.
//
// Bounded: at most `ended_calls` ended calls are kept (oldest forgotten first), a call keeps at
// most `max_lines` transcript lines and `max_turns` turns (oldest dropped first, and the call
// says so), and the charts cover the last hour. With no viewer, a change only updates the
// board: nothing is formatted or sent.
//
// Threading: every method is thread-safe. Viewers are sent to under the board's lock, which
// keeps every viewer's events in the board's order (HttpStream::send never calls back).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/http_server.h"
#include "voice/turn_metrics.h"

namespace parley::console {

struct CallBoardOptions {
  size_t ended_calls = 50;
  size_t max_lines = 2000;
  size_t max_turns = 500;
  size_t max_viewers = 32;
};

class CallBoard {
 public:
  using WallClock = std::function<std::chrono::system_clock::time_point()>;
  explicit CallBoard(CallBoardOptions options, WallClock now = nullptr);

  // A call begins; returns its id on the board. `caller` is already masked as configured.
  std::string begin(const std::string& call_id, const std::string& room, const std::string& caller);
  void set_state(const std::string& id, std::string_view state);
  // Caller's words: the whole segment so far. Agent's words: a delta of the segment.
  void user_text(const std::string& id, const std::string& segment, const std::string& text, bool final);
  void agent_text(const std::string& id, const std::string& segment, const std::string& delta, bool final);
  void turn(const std::string& id, const voice::TurnMetrics& metrics);
  void event(const std::string& id, const std::string& event);
  // Idempotent; the call moves to the ended ones.
  void end(const std::string& id, const std::string& reason);

  // The list: calls in progress (oldest first), then ended ones (newest first).
  nlohmann::json calls_json() const;
  // One call with its transcript and turns; nullopt when unknown (or forgotten).
  std::optional<nlohmann::json> call_json(const std::string& id) const;
  // The last hour, per minute: calls in progress (the most at once) and end-to-end p50/p95.
  nlohmann::json history_json() const;

  // Sends the list ("snapshot") and from then on every change; false when there are already
  // max_viewers (the stream is left to the caller to refuse).
  bool watch(std::shared_ptr<service::HttpStream> viewer);
  // A comment to every viewer (keeps proxies from timing the stream out); forgets closed ones.
  void heartbeat();
  size_t viewers() const;
  size_t live_calls() const;
  // The rooms of the calls in progress whose name starts with `prefix` (the playground's).
  std::vector<std::string> live_rooms(std::string_view prefix) const;
  size_t ended_calls() const;

 private:
  struct Line {
    uint64_t seq = 0;
    std::string side;     // caller, agent, event
    std::string segment;  // "" for events
    std::string text;
    bool final = false;
    int64_t at_ms = 0;
  };
  struct Turn {
    voice::TurnMetrics metrics;
    int64_t at_ms = 0;
  };
  struct Call {
    std::string id, call_id, room, caller;
    std::string state = "listening";
    std::string end_reason;
    int64_t started_ms = 0, ended_ms = 0;
    bool live = true;
    uint64_t seq = 0;  // changes so far; a viewer ignores events older than a detail it fetched
    std::deque<Line> lines;
    size_t lines_dropped = 0;
    std::deque<Turn> turns;
    size_t turns_dropped = 0;
    int turn_count = 0;
    int interruptions = 0;
    int fallbacks = 0;
    std::optional<double> last_latency;
  };
  struct Minute {
    int64_t minute = 0;  // minutes since the epoch
    size_t max_live = 0;   // the most calls in progress at once in this minute
    size_t last_live = 0;  // calls in progress at the minute's last change (carried into quiet minutes)
    std::vector<double> end_to_end;
  };

  Call* find(const std::string& id);
  const Call* find(const std::string& id) const;
  Line& upsert_line(Call& c, const std::string& side, const std::string& segment);
  void add_line(Call& c, Line line);
  nlohmann::json summary(const Call& c) const;
  nlohmann::json list_locked() const;
  static nlohmann::json line_json(const Line& l);
  static nlohmann::json turn_json(const Turn& t);
  void broadcast(std::string_view event, const nlohmann::json& data);
  Minute& minute_now();
  int64_t now_ms() const;

  const CallBoardOptions options_;
  WallClock now_;
  mutable std::mutex mutex_;
  std::map<std::string, Call> live_;
  std::deque<Call> ended_;  // newest first
  uint64_t next_id_ = 1;
  uint64_t next_event_ = 1;
  std::deque<Minute> minutes_;  // the last hour, oldest first
  std::vector<std::shared_ptr<service::HttpStream>> viewers_;
};

}  // namespace parley::console
