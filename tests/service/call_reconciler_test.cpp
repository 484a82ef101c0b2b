// The call reconciler's decisions and the queue, with fake sessions on a real admission loop:
// what a server snapshot adopts and what it leaves alone, that a webhook and the reconciler
// announcing one call admit it once, the queue's order and who leaves it, and that a failing or
// hung server API never holds admission up.
#include "service/call_reconciler.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <random>
#include <set>
#include <thread>

#include "core/metrics.h"
#include "fake_sessions.h"
#include "test_support/webhook_signer.h"

namespace parley::service {
namespace {

using livekit::webhook::ParticipantInfo;
using livekit::webhook::ParticipantKind;
using testing::participant_joined_body;
using testing::simple_event_body;

// The ManualClock's wall time, in unix seconds: when admission (this instance) started.
constexpr int64_t kStart = 1'764'000'000;

ParticipantInfo participant(const std::string& identity, const std::string& sid, int64_t joined_at,
                            ParticipantKind kind = ParticipantKind::kStandard) {
  ParticipantInfo p;
  p.identity = identity;
  p.sid = sid;
  p.kind = kind;
  p.state = livekit::webhook::ParticipantState::kActive;
  p.joined_at = joined_at;
  if (kind == ParticipantKind::kSip) p.attributes = {{"sip.callID", "SCL_" + sid}, {"sip.ruleID", "SDR_1"}};
  return p;
}

RoomSnapshot room(const std::string& name, std::vector<ParticipantInfo> participants) {
  RoomSnapshot r;
  r.room.name = name;
  r.room.sid = "RM_" + name;
  r.participants = std::move(participants);
  return r;
}

double metric(const std::string& line_start) {
  auto text = metrics::registry().render();
  auto at = text.find("\n" + line_start + " ");
  if (at == std::string::npos) return 0;
  return std::stod(text.substr(at + line_start.size() + 2));
}

class ReconcileTest : public ::testing::Test {
 protected:
  ManualClock clock;
  AsioLoop loop{"calls"};
  std::shared_ptr<FakeSessions> sessions = std::make_shared<FakeSessions>();

  ServerSnapshot snapshot(std::vector<RoomSnapshot> rooms) {
    ServerSnapshot s;
    s.taken_at = clock.now();
    s.rooms = std::move(rooms);
    return s;
  }
};

TEST_F(ReconcileTest, AdoptsEveryCallerWithoutAnAgentByTheSameRulesAsWebhooks) {
  CallAdmission admission(loop, config_with({"support-*"}), sessions, clock);
  double adopted = metric("parley_calls_adopted_total");
  admission.reconcile(snapshot({
      room("call-1", {participant("sip_+15550001111", "PA_sip", kStart - 5, ParticipantKind::kSip)}),
      room("support-7", {participant("alice", "PA_alice", kStart - 5)}),
      room("lobby", {participant("bob", "PA_bob", kStart - 5)}),                                   // no rule matches
      room("call-2", {participant("recorder", "PA_eg", kStart - 5, ParticipantKind::kEgress)}),  // not a caller
  }));
  settle(loop);
  auto rooms = sessions->started_rooms();
  EXPECT_EQ(std::set<std::string>(rooms.begin(), rooms.end()), (std::set<std::string>{"call-1", "support-7"}));
  EXPECT_EQ(metric("parley_calls_adopted_total"), adopted + 2);
  ASSERT_EQ(sessions->log->started.size(), 2u);
  for (const auto& r : sessions->log->started) {
    if (r.room == "call-1") {
      EXPECT_TRUE(r.phone_call && r.caller_sid == "PA_sip" && r.room_sid == "RM_call-1");
    }
  }
  // Seen again every round: still one call per room.
  admission.reconcile(snapshot({room("call-1", {participant("sip_+15550001111", "PA_sip", kStart - 5, ParticipantKind::kSip)})}));
  settle(loop);
  EXPECT_EQ(sessions->started(), 2u);
}

TEST_F(ReconcileTest, AWebhookAndTheReconcilerAnnouncingTheSameCallsAdmitEachOnce) {
  CallAdmission admission(loop, config_with({"race-*"}, 1000), sessions, clock);
  constexpr int kRooms = 100;
  std::vector<RoomSnapshot> rooms;
  for (int r = 0; r < kRooms; ++r) {
    rooms.push_back(room("race-" + std::to_string(r), {participant("u", "PA_u_race-" + std::to_string(r), kStart)}));
  }
  // Webhooks from two HTTP threads and snapshots from the reconciler's, interleaved at random.
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      std::vector<int> order(kRooms);
      for (int i = 0; i < kRooms; ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng);
      for (int r : order) {
        std::string name = "race-" + std::to_string(r);
        admission.submit(event(participant_joined_body("EV_" + std::to_string(t) + name, name, "u")));
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      std::vector<RoomSnapshot> part(rooms.begin() + (i % 5) * 20, rooms.begin() + (i % 5) * 20 + 20);
      admission.reconcile(snapshot(part));
    }
  });
  for (auto& th : threads) th.join();
  settle(loop);
  auto started = sessions->started_rooms();
  EXPECT_EQ(started.size(), size_t(kRooms));
  EXPECT_EQ(std::set<std::string>(started.begin(), started.end()).size(), size_t(kRooms));
}

TEST_F(ReconcileTest, CallsThatEndedAreNotRevivedByAStaleSnapshot) {
  CallAdmission admission(loop, config_with({"*"}), sessions, clock);
  for (const char* r : {"left", "finished", "hungup"}) {
    admission.submit(event(participant_joined_body(std::string("EV_") + r, r, "u")));
  }
  settle(loop);
  ASSERT_EQ(sessions->started(), 3u);
  // A snapshot listed just before these: the caller left, the room finished, the agent hung up
  // (the caller's removal still in flight, so the server still lists it).
  auto stale = snapshot({room("left", {participant("u", "PA_u_left", kStart)}),
                         room("finished", {participant("u", "PA_u_finished", kStart)}),
                         room("hungup", {participant("u", "PA_u_hungup", kStart)})});
  admission.submit(event(simple_event_body("participant_left", "EV_l", "left", "u")));
  admission.submit(event(simple_event_body("room_finished", "EV_f", "finished")));
  sessions->end(2, "agent_goodbye");
  settle(loop);
  settle(loop);
  ASSERT_EQ(admission.active(), 0);
  admission.reconcile(stale);
  settle(loop);
  EXPECT_EQ(sessions->started(), 3u);
  // The same caller coming back (a new connection, a new sid) is a new call.
  admission.reconcile(snapshot({room("hungup", {participant("u", "PA_u_hungup_again", kStart)})}));
  settle(loop);
  EXPECT_EQ(sessions->started(), 4u);
}

TEST_F(ReconcileTest, ACallEndedBeforeTheCallerWasAnsweredIsOfferedAgainTwiceWhileTheCallerIsThere) {
  CallAdmission admission(loop, config_with({"*"}), sessions, clock);
  double retried = metric("parley_calls_unanswered_retries_total");
  admission.submit(event(participant_joined_body("EV_1", "call-1", "sip_+15550001111")));
  settle(loop);
  ASSERT_EQ(sessions->started(), 1u);
  auto still_there = [&] {
    return snapshot({room("call-1", {participant("sip_+15550001111", "PA_sip_+15550001111_call-1", kStart)})});
  };
  // The agent's join failed (a server restarting), then no caller audio came (a track never
  // offered): each time the next reconciler round finds the caller without an agent.
  const char* reasons[] = {"join_failed", "no_caller", "no_caller"};
  for (size_t i = 0; i < 3; ++i) {
    sessions->end(i, reasons[i]);
    settle(loop);
    settle(loop);
    ASSERT_EQ(admission.active(), 0);
    admission.reconcile(still_there());
    settle(loop);
  }
  // Two retries, then the caller is left alone (the third ending is final).
  EXPECT_EQ(sessions->started(), 3u);
  EXPECT_EQ(metric("parley_calls_unanswered_retries_total") - retried, 2);
  // A call the agent ended after answering (its goodbye) is never offered again.
  admission.submit(event(participant_joined_body("EV_2", "call-2", "alice")));
  settle(loop);
  ASSERT_EQ(sessions->started(), 4u);
  sessions->end(3, "agent_goodbye");
  settle(loop);
  settle(loop);
  admission.reconcile(snapshot({room("call-2", {participant("alice", "PA_alice_call-2", kStart)})}));
  settle(loop);
  EXPECT_EQ(sessions->started(), 4u);
}

TEST_F(ReconcileTest, AnEarlierRunsAgentIsAnOrphanButALaterOneIsAnotherInstances) {
  CallAdmission admission(loop, config_with({}), sessions, clock);
  admission.reconcile(snapshot({
      // parley was killed: its agent lingers, joined before this instance started.
      room("orphan", {participant("sip_1", "PA_1", kStart - 60, ParticipantKind::kSip),
                      participant("parley-agent", "PA_old_agent", kStart - 59, ParticipantKind::kAgent)}),
      // Another live instance with the same identity answered this one after we started.
      room("theirs", {participant("sip_2", "PA_2", kStart + 1, ParticipantKind::kSip),
                      participant("parley-agent", "PA_their_agent", kStart + 2, ParticipantKind::kAgent)}),
  }));
  settle(loop);
  EXPECT_EQ(sessions->started_rooms(), std::vector<std::string>{"orphan"});
}

TEST_F(ReconcileTest, TheQueueAnswersTheOldestCallerStillThereWhenASlotFrees) {
  CallAdmission admission(loop, config_with({"*"}, 2), sessions, clock);
  double queued_total = metric("parley_calls_queued_total{reason=\"capacity\"}");
  for (int i = 0; i < 6; ++i) {
    std::string r = "q" + std::to_string(i);
    admission.submit(event(participant_joined_body("EV_" + r, r, "u")));
    settle(loop);
    clock.advance(std::chrono::seconds(1));
  }
  EXPECT_EQ(admission.active(), 2);
  EXPECT_EQ(admission.queued(), 4);
  EXPECT_EQ(metric("parley_calls_queued"), 4);
  EXPECT_EQ(metric("parley_calls_queued_total{reason=\"capacity\"}"), queued_total + 4);
  double left = metric("parley_calls_abandoned_total{reason=\"caller_left\"}");
  double finished = metric("parley_calls_abandoned_total{reason=\"room_finished\"}");
  // q2's caller hangs up while waiting, q3's room finishes: both are dropped.
  admission.submit(event(simple_event_body("participant_left", "EV_l2", "q2", "u")));
  admission.submit(event(simple_event_body("room_finished", "EV_f3", "q3")));
  settle(loop);
  EXPECT_EQ(admission.queued(), 2);
  EXPECT_EQ(metric("parley_calls_abandoned_total{reason=\"caller_left\"}"), left + 1);
  EXPECT_EQ(metric("parley_calls_abandoned_total{reason=\"room_finished\"}"), finished + 1);
  // A slot frees: the oldest still waiting (q4) is answered, not q5; a join for a waiting room
  // does not jump the queue.
  admission.submit(event(participant_joined_body("EV_q5again", "q5", "u2")));
  admission.submit(event(simple_event_body("participant_left", "EV_l0", "q0", "u")));
  settle(loop);
  EXPECT_EQ(sessions->started_rooms(), (std::vector<std::string>{"q0", "q1", "q4"}));
  sessions->end(1, "agent_goodbye");
  settle(loop);
  settle(loop);
  EXPECT_EQ(sessions->started_rooms(), (std::vector<std::string>{"q0", "q1", "q4", "q5"}));
  EXPECT_EQ(admission.queued(), 0);
  // A late join for the hung-up q2 caller starts nothing.
  admission.submit(event(participant_joined_body("EV_q2late", "q2", "u")));
  settle(loop);
  EXPECT_EQ(sessions->started(), 4u);
}

TEST_F(ReconcileTest, AQueuedCallerTheServerNoLongerShowsIsDroppedButOnlyByANewerSnapshot) {
  CallAdmission admission(loop, config_with({"*"}, 1), sessions, clock);
  auto before = snapshot({room("busy", {participant("u", "PA_u_busy", kStart)})});  // listed before the others joined
  clock.advance(std::chrono::seconds(1));
  for (const char* r : {"busy", "gone", "hungup", "unlisted", "there"}) {
    admission.submit(event(participant_joined_body(std::string("EV_") + r, r, "u")));
  }
  settle(loop);
  ASSERT_EQ(admission.queued(), 4);
  admission.reconcile(before);  // older than the queue: says nothing about it
  settle(loop);
  EXPECT_EQ(admission.queued(), 4);
  clock.advance(std::chrono::seconds(1));
  auto unlisted = room("unlisted", {});
  unlisted.listed = false;  // its ListParticipants failed
  admission.reconcile(snapshot({room("busy", {participant("u", "PA_u_busy", kStart)}),
                                room("hungup", {participant("recorder", "PA_x", kStart, ParticipantKind::kEgress)}), unlisted,
                                room("there", {participant("u", "PA_u_there", kStart)})}));
  settle(loop);
  EXPECT_EQ(admission.queued(), 2);  // "gone" (room gone) and "hungup" (caller gone) dropped
  // The slot frees: "unlisted" (the oldest left) is answered.
  admission.submit(event(simple_event_body("room_finished", "EV_fb", "busy")));
  settle(loop);
  EXPECT_EQ(sessions->started_rooms(), (std::vector<std::string>{"busy", "unlisted"}));
}

TEST_F(ReconcileTest, TheReconcilersCallersQueueInTheOrderTheyJoined) {
  CallAdmission admission(loop, config_with({"*"}, 1), sessions, clock);
  admission.reconcile(snapshot({room("c", {participant("u", "PA_c", kStart - 10)}),
                                room("a", {participant("u", "PA_a", kStart - 30)}),
                                room("b", {participant("u", "PA_b", kStart - 20)})}));
  settle(loop);
  EXPECT_EQ(admission.queued(), 2);
  for (int i = 0; i < 2; ++i) {
    sessions->end(i, "agent_goodbye");
    settle(loop);
    settle(loop);
  }
  EXPECT_EQ(sessions->started_rooms(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(ReconcileTest, ADrainingInstanceKeepsItsQueueForAnotherInstance) {
  CallAdmission admission(loop, config_with({"*"}, 1), sessions, clock);
  admission.submit(event(participant_joined_body("EV_1", "d1", "u")));
  admission.submit(event(participant_joined_body("EV_2", "d2", "u")));
  settle(loop);
  std::promise<void> drained;
  admission.begin_drain(Millis(60'000), [&] { drained.set_value(); });
  admission.reconcile(snapshot({room("d3", {participant("u", "PA_u_d3", kStart)})}));
  admission.submit(event(simple_event_body("participant_left", "EV_l1", "d1", "u")));
  ASSERT_EQ(drained.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(sessions->started_rooms(), std::vector<std::string>{"d1"});
  EXPECT_EQ(admission.queued(), 2);
}

// ---- the reconciler itself: rounds, failures, a hung server ----

class FakeServer {
 public:
  // The next rounds' answers; when none is left, the last one is repeated.
  void answer(Result<ServerSnapshot> r) {
    std::lock_guard l(mutex_);
    answers_.push_back(std::move(r));
  }
  void hold() {
    std::lock_guard l(mutex_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard l(mutex_);
      held_ = false;
    }
    cv_.notify_all();
  }
  int calls() {
    std::lock_guard l(mutex_);
    return calls_;
  }
  bool wait_calls(int n, std::chrono::seconds timeout) {
    std::unique_lock l(mutex_);
    return cv_.wait_for(l, timeout, [&] { return calls_ >= n; });
  }
  CallReconciler::ListServer lister() {
    return [this](const Config&) -> Result<ServerSnapshot> {
      std::unique_lock l(mutex_);
      ++calls_;
      cv_.notify_all();
      cv_.wait(l, [&] { return !held_; });
      auto r = answers_.size() > 1 ? answers_.front() : answers_.back();
      if (answers_.size() > 1) answers_.erase(answers_.begin());
      return r;
    };
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Result<ServerSnapshot>> answers_;
  bool held_ = false;
  int calls_ = 0;
};

std::shared_ptr<Config> reconcile_every(Millis interval) {
  auto c = std::make_shared<Config>(*config_with({"*"}));
  c->calls.reconcile_interval = interval;
  return c;
}

class CallReconcilerTest : public ::testing::Test {
 protected:
  AsioLoop loop{"calls"};
  std::shared_ptr<FakeSessions> sessions = std::make_shared<FakeSessions>();
  std::shared_ptr<Config> config = reconcile_every(Millis(500));
  CallAdmission admission{loop, config, sessions};
  FakeServer server;
};

TEST_F(CallReconcilerTest, TheFirstRoundRunsAtStartAndFailuresBackOffWithoutStoppingIt) {
  server.answer(make_error(ErrorCode::kUnavailable, "connection refused"));
  server.answer(make_error(ErrorCode::kUnavailable, "connection refused"));
  ServerSnapshot s;
  s.rooms.push_back(room("r", {participant("u", "PA_u", 0)}));
  server.answer(s);
  double failed = metric("parley_reconcile_rounds_total{result=\"failed\"}");
  CallReconciler reconciler(admission, config, server.lister());
  auto t0 = std::chrono::steady_clock::now();
  reconciler.start();
  ASSERT_TRUE(server.wait_calls(1, std::chrono::seconds(5)));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(400)) << "the first round is at start";
  ASSERT_TRUE(server.wait_calls(3, std::chrono::seconds(10)));
  // Two failures waited at least the interval each, then the round succeeded.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sessions->started() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(sessions->started_rooms(), std::vector<std::string>{"r"});
  EXPECT_EQ(reconciler.failures(), 2u);
  EXPECT_EQ(metric("parley_reconcile_rounds_total{result=\"failed\"}"), failed + 2);
}

TEST_F(CallReconcilerTest, AHungServerApiNeverHoldsAdmissionUp) {
  server.answer(ServerSnapshot{});
  server.hold();
  CallReconciler reconciler(admission, config, server.lister());
  reconciler.start();
  ASSERT_TRUE(server.wait_calls(1, std::chrono::seconds(5)));
  // The listing hangs; webhooks are admitted meanwhile.
  admission.submit(event(participant_joined_body("EV_1", "w1", "u")));
  settle(loop);
  EXPECT_EQ(sessions->started(), 1u);
  server.release();
}

TEST_F(CallReconcilerTest, IntervalZeroMeansWebhooksOnlyUntilAReloadSwitchesItOn) {
  server.answer(ServerSnapshot{});
  CallReconciler reconciler(admission, reconcile_every(Millis(0)), server.lister());
  reconciler.start();
  EXPECT_FALSE(server.wait_calls(1, std::chrono::seconds(1)));
  reconciler.set_config(reconcile_every(Millis(500)));
  EXPECT_TRUE(server.wait_calls(2, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace parley::service
