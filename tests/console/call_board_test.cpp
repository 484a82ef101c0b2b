// The console's board: what a call shows, the bounds, and what viewers are sent.
#include "console/call_board.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace parley::console {
namespace {

using nlohmann::json;

// A viewer that keeps what it is sent.
class FakeStream final : public service::HttpStream {
 public:
  bool send(std::string bytes) override {
    if (closed_) return false;
    frames.push_back(std::move(bytes));
    return true;
  }
  void close() override { closed_ = true; }
  bool closed() const override { return closed_; }
  std::vector<std::string> frames;
  // The events of a kind, parsed.
  std::vector<json> events(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& f : frames) {
      if (f.find("event: " + kind + "\n") == std::string::npos) continue;
      auto d = f.find("data: ");
      out.push_back(json::parse(f.substr(d + 6, f.find('\n', d) - d - 6)));
    }
    return out;
  }
  bool closed_ = false;
};

struct ManualClock {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::time_point(std::chrono::hours(500'000));
};

voice::TurnMetrics turn(int n, double e2e) {
  voice::TurnMetrics m;
  m.turn = n;
  m.end_of_utterance_delay = 0.5;
  m.stt_latency = 0.1;
  m.llm_ttft = 0.01;
  m.tts_ttfb = 0.05;
  m.end_to_end = e2e;
  m.hops = {{"vad", 0.2}, {"stt", 0.1}, {"endpointing", 0.2}, {"llm", 0.01}, {"tts", 0.05}, {"pacing", e2e - 0.56}};
  return m;
}

TEST(CallBoard, ACallShowsStateWordsTurnsAndFallbacks) {
  ManualClock clock;
  CallBoard board({}, [&] { return clock.now; });
  auto id = board.begin("SCL_1", "room-1", "+1555***4567");
  board.set_state(id, "greeting");
  board.agent_text(id, "SG_a1", "Hello, ", false);
  board.agent_text(id, "SG_a1", "how can I help?", false);
  board.agent_text(id, "SG_a1", "", true);
  board.user_text(id, "SG_user_1", "what are", false);
  board.user_text(id, "SG_user_1", "what are your hours", true);
  board.event(id, "stt_error");
  clock.now += std::chrono::seconds(3);
  board.turn(id, turn(1, 1.25));

  auto list = board.calls_json();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["room"], "room-1");
  EXPECT_EQ(list[0]["caller"], "+1555***4567");
  EXPECT_EQ(list[0]["state"], "greeting");
  EXPECT_EQ(list[0]["turns"], 1);
  EXPECT_EQ(list[0]["last_latency"], 1.25);
  EXPECT_EQ(list[0]["duration"], 3.0);
  EXPECT_EQ(list[0]["fallbacks"], 1);
  EXPECT_TRUE(list[0]["live"].get<bool>());

  auto call = board.call_json(id);
  ASSERT_TRUE(call);
  auto lines = (*call)["lines"];
  ASSERT_EQ(lines.size(), 3u);  // the agent's segment, the caller's segment, the event
  EXPECT_EQ(lines[0]["side"], "agent");
  EXPECT_EQ(lines[0]["text"], "Hello, how can I help?");
  EXPECT_TRUE(lines[0]["final"].get<bool>());
  EXPECT_EQ(lines[1]["side"], "caller");
  EXPECT_EQ(lines[1]["text"], "what are your hours");
  EXPECT_EQ(lines[2]["side"], "event");
  EXPECT_EQ(lines[2]["text"], "stt_error");
  auto t = (*call)["turn_list"][0];
  EXPECT_EQ(t["end_of_utterance"], 0.5);
  EXPECT_EQ(t["stt"], 0.1);
  EXPECT_EQ(t["llm_first_token"], 0.01);
  EXPECT_EQ(t["tts_first_audio"], 0.05);
  EXPECT_EQ(t["end_to_end"], 1.25);
  // The same turn hop by hop (voice/turn_waterfall.h), for the console's bar.
  EXPECT_EQ(t["waterfall"]["endpointing"], 0.2);
  EXPECT_EQ(t["waterfall"]["pacing"], 0.69);
}

// A hand-over inside the LLM chain (openai failed, the script answered) is a fallback marked in
// the transcript where it happened, though the chain as a whole did not fail.
TEST(CallBoard, AnLlmFallbackInsideTheChainIsMarkedWhereItHappened) {
  CallBoard board({});
  auto id = board.begin("SCL_2", "room-2", "caller");
  board.user_text(id, "SG_user_1", "what are your hours", true);
  board.event(id, "llm_fallback:openai:script");
  board.agent_text(id, "SG_1", "We are open nine to five.", false);
  board.agent_text(id, "SG_1", "", true);
  EXPECT_EQ(board.calls_json()[0]["fallbacks"], 1);
  auto lines = (*board.call_json(id))["lines"];
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["side"], "event");
  EXPECT_EQ(lines[1]["text"], "llm_fallback:openai:script");
  EXPECT_EQ(lines[2]["side"], "agent");  // the script's answer follows the mark
}

// A keypad turn carries its digit and its latency (digit → first answer frame) to the call
// view; the chart stays the spoken turns' end to end, as parley_voice_end_to_end_latency_seconds.
TEST(CallBoard, AKeypadTurnShowsItsLatencyButStaysOutOfTheSpeechChart) {
  CallBoard board({});
  auto id = board.begin("SCL_3", "room-3", "caller");
  voice::TurnMetrics k;
  k.turn = 1;
  k.keypad = '2';
  k.llm_ttft = 0.002;
  k.tts_ttfb = 0.04;
  k.end_to_end = 0.075;
  board.turn(id, k);
  auto t = (*board.call_json(id))["turn_list"][0];
  EXPECT_EQ(t["keypad"], "2");
  EXPECT_EQ(t["end_to_end"], 0.075);
  EXPECT_TRUE(t["end_of_utterance"].is_null());
  EXPECT_EQ(board.calls_json()[0]["last_latency"], 0.075);
  EXPECT_TRUE(board.history_json().back()["p50"].is_null());
  board.turn(id, turn(2, 1.5));
  EXPECT_EQ(board.history_json().back()["p50"], 1.5);
  EXPECT_TRUE((*board.call_json(id))["turn_list"][1]["keypad"].is_null());
}

TEST(CallBoard, AnEndedCallStaysViewableAndOnlyTheLastFewAreKept) {
  CallBoardOptions o;
  o.ended_calls = 3;
  CallBoard board(o);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(board.begin("call" + std::to_string(i), "room", "caller"));
  for (const auto& id : ids) board.end(id, "caller_left");
  board.end(ids[4], "again");  // idempotent
  EXPECT_EQ(board.live_calls(), 0u);
  EXPECT_EQ(board.ended_calls(), 3u);
  EXPECT_FALSE(board.call_json(ids[0]));
  EXPECT_FALSE(board.call_json(ids[1]));
  auto last = board.call_json(ids[4]);
  ASSERT_TRUE(last);
  EXPECT_EQ((*last)["state"], "ended");
  EXPECT_EQ((*last)["end_reason"], "caller_left");
  auto list = board.calls_json();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0]["call_id"], "call4");  // newest first
  // Nothing reaches an ended call any more.
  board.user_text(ids[4], "s", "late", true);
  EXPECT_TRUE((*board.call_json(ids[4]))["lines"].empty());
}

TEST(CallBoard, ACallKeepsAtMostMaxLinesAndSaysHowManyWentMissing) {
  CallBoardOptions o;
  o.max_lines = 10;
  o.max_turns = 4;
  CallBoard board(o);
  auto id = board.begin("c", "r", "x");
  for (int i = 0; i < 25; ++i) board.user_text(id, "SG_user_" + std::to_string(i), "words " + std::to_string(i), true);
  for (int i = 1; i <= 6; ++i) board.turn(id, turn(i, 1.0));
  auto call = *board.call_json(id);
  EXPECT_EQ(call["lines"].size(), 10u);
  EXPECT_EQ(call["lines_dropped"], 15);
  EXPECT_EQ(call["lines"][0]["text"], "words 15");
  EXPECT_EQ(call["turn_list"].size(), 4u);
  EXPECT_EQ(call["turns_dropped"], 2);
  EXPECT_EQ(call["turns"], 6);
}

TEST(CallBoard, AViewerGetsTheSnapshotThenEveryChangeInOrder) {
  CallBoard board({});
  auto before = board.begin("c0", "room-0", "alice");
  auto viewer = std::make_shared<FakeStream>();
  ASSERT_TRUE(board.watch(viewer));
  ASSERT_EQ(viewer->frames.size(), 1u);
  EXPECT_EQ(viewer->frames[0].rfind("retry: 2000\n\n", 0), 0u);
  auto snapshot = viewer->events("snapshot");
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0]["calls"][0]["id"], before);

  auto id = board.begin("c1", "room-1", "bob");
  board.set_state(id, "thinking");
  board.agent_text(id, "SG_1", "Nine to six.", false);
  board.turn(id, turn(1, 0.9));
  board.end(id, "caller_left");
  auto calls = viewer->events("call");
  ASSERT_GE(calls.size(), 4u);
  EXPECT_EQ(calls.front()["room"], "room-1");
  EXPECT_EQ(calls[1]["state"], "thinking");
  EXPECT_EQ(calls.back()["state"], "ended");
  auto lines = viewer->events("line");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["line"]["text"], "Nine to six.");
  auto turns = viewer->events("turn");
  ASSERT_EQ(turns.size(), 1u);
  EXPECT_EQ(turns[0]["turn"]["end_to_end"], 0.9);
  // Event ids only grow.
  uint64_t last = 0;
  for (const auto& f : viewer->frames) {
    auto p = f.find("id: ");
    if (p == std::string::npos) continue;
    auto v = std::stoull(f.substr(p + 4));
    EXPECT_GT(v, last);
    last = v;
  }
}

TEST(CallBoard, ClosedViewersAreForgottenAndTheirNumberIsCapped) {
  CallBoardOptions o;
  o.max_viewers = 2;
  CallBoard board(o);
  auto a = std::make_shared<FakeStream>();
  auto b = std::make_shared<FakeStream>();
  ASSERT_TRUE(board.watch(a));
  ASSERT_TRUE(board.watch(b));
  EXPECT_FALSE(board.watch(std::make_shared<FakeStream>()));
  a->close();
  board.heartbeat();
  EXPECT_EQ(board.viewers(), 1u);
  EXPECT_EQ(b->frames.back(), ": keep-alive\n\n");
  EXPECT_TRUE(board.watch(std::make_shared<FakeStream>()));
}

TEST(CallBoard, HistoryPerMinuteForTheCharts) {
  ManualClock clock;
  CallBoard board({}, [&] { return clock.now; });
  auto id = board.begin("c", "r", "x");
  board.begin("d", "r2", "y");
  for (int i = 1; i <= 20; ++i) board.turn(id, turn(i, i * 0.1));  // 0.1 … 2.0
  auto h = board.history_json();
  ASSERT_EQ(h.size(), 60u);
  EXPECT_EQ(h.back()["calls"], 2);
  EXPECT_EQ(h.back()["p50"], 1.0);
  EXPECT_EQ(h.back()["p95"], 1.9);
  EXPECT_TRUE(h.front()["calls"].is_null());
  clock.now += std::chrono::minutes(2);
  h = board.history_json();
  EXPECT_EQ(h[58]["calls"], 2);  // a quiet minute: the calls were still in progress
  board.end(id, "caller_left");
  h = board.history_json();
  EXPECT_EQ(h.back()["calls"], 2);  // both were in progress in this minute
  EXPECT_EQ(h[57]["p50"], 1.0);     // two minutes ago
  clock.now += std::chrono::minutes(1);
  EXPECT_EQ(board.history_json().back()["calls"], 1);
}

}  // namespace
}  // namespace parley::console
