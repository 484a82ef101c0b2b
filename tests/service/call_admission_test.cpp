#include "service/call_admission.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <random>
#include <set>
#include <thread>

#include "core/asio_loop.h"
#include "fake_sessions.h"
#include "test_support/webhook_signer.h"

namespace parley::service {
namespace {

using livekit::webhook::parse_webhook_event;
using livekit::webhook::WebhookEvent;
using testing::participant_joined_body;
using testing::simple_event_body;

class CallAdmissionTest : public ::testing::Test {
 protected:
  AsioLoop loop{"calls"};
  std::shared_ptr<FakeSessions> sessions = std::make_shared<FakeSessions>();
};

TEST_F(CallAdmissionTest, BurstOf200EventsFor50RoomsInRandomOrderStartsExactly50Sessions) {
  CallAdmission admission(loop, config_with({"burst-*"}, 100), sessions);
  std::vector<std::string> bodies;
  for (int r = 0; r < 50; ++r) {
    std::string room = "burst-" + std::to_string(r);
    bodies.push_back(simple_event_body("room_started", "EV_rs" + std::to_string(r), room));
    // A caller, and another participant of the same room (different event ids): one session.
    bodies.push_back(participant_joined_body("EV_pj" + std::to_string(r), room, "user-" + std::to_string(r)));
    bodies.push_back(participant_joined_body("EV_px" + std::to_string(r), room, "guest-" + std::to_string(r)));
    // The agent's own participant never counts as a caller.
    bodies.push_back(participant_joined_body("EV_pa" + std::to_string(r), room, "parley-agent", "STANDARD", "PA_agent"));
  }
  // Duplicates: LiveKit retries resend the same events (de-duplication by id is the endpoint's
  // job; admission must hold even when they get through).
  std::mt19937 rng(1234);
  std::vector<std::string> burst = bodies;
  while (burst.size() < 250) burst.push_back(bodies[rng() % bodies.size()]);
  std::shuffle(burst.begin(), burst.end(), rng);
  // From several threads at once, as HTTP loops would.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < burst.size(); i += 4) admission.submit(event(burst[i]));
    });
  }
  for (auto& th : threads) th.join();
  settle(loop);
  EXPECT_EQ(sessions->started(), 50u);
  EXPECT_EQ(admission.active(), 50);
  std::set<std::string> rooms;
  for (const auto& r : sessions->log->started) rooms.insert(r.room);
  EXPECT_EQ(rooms.size(), 50u);
  for (const auto& r : sessions->log->started) EXPECT_NE(r.caller_identity, "parley-agent");
}

TEST_F(CallAdmissionTest, SipCallerBecomesACallRecordAndTheAgentIdIsFilledLater) {
  CallAdmission admission(loop, config_with({}), sessions);
  admission.submit(event(participant_joined_body("EV_1", "call-1", "sip_+15550001111", "SIP")));
  admission.submit(event(participant_joined_body("EV_2", "call-1", "parley-agent", "STANDARD", "PA_agent1")));
  // Not SIP and no pattern: no agent for it.
  admission.submit(event(participant_joined_body("EV_3", "lobby", "alice")));
  settle(loop);
  ASSERT_EQ(sessions->started(), 1u);
  const auto& r = sessions->log->started[0];
  EXPECT_EQ(r.call_id, "SCL_sip_+15550001111");
  EXPECT_EQ(r.caller_number, "+15550001111");
  EXPECT_EQ(r.called_number, "+15559998888");
  EXPECT_EQ(r.room, "call-1");
  EXPECT_TRUE(r.phone_call);
  ASSERT_EQ(sessions->log->agent_joined.size(), 1u);
  EXPECT_EQ(sessions->log->agent_joined[0], "PA_agent1");
}

TEST_F(CallAdmissionTest, CallEndsWhenTheCallerLeavesOrTheRoomFinishes) {
  CallAdmission admission(loop, config_with({"r*"}), sessions);
  admission.submit(event(participant_joined_body("EV_1", "r1", "u1")));
  admission.submit(event(participant_joined_body("EV_2", "r2", "u2")));
  // Someone else leaving r1 does not end its call; the agent leaving does not either.
  admission.submit(event(simple_event_body("participant_left", "EV_3", "r1", "other")));
  admission.submit(event(simple_event_body("participant_left", "EV_4", "r1", "parley-agent")));
  settle(loop);
  EXPECT_EQ(admission.active(), 2);
  admission.submit(event(simple_event_body("participant_left", "EV_5", "r1", "u1")));
  admission.submit(event(simple_event_body("room_finished", "EV_6", "r2")));
  settle(loop);
  EXPECT_EQ(admission.active(), 0);
  ASSERT_EQ(sessions->stopped(), 2u);
  EXPECT_EQ(sessions->log->stopped[0], std::make_pair(std::string("r1"), StopReason::kCallerLeft));
  EXPECT_EQ(sessions->log->stopped[1], std::make_pair(std::string("r2"), StopReason::kRoomFinished));
  // Late or repeated joins after the room finished or the caller left start nothing.
  admission.submit(event(participant_joined_body("EV_7", "r2", "u2")));
  admission.submit(event(participant_joined_body("EV_8", "r1", "u1")));
  settle(loop);
  EXPECT_EQ(sessions->started(), 2u);
  // The caller coming back with a new connection (new sid) is a new call.
  admission.submit(event(participant_joined_body("EV_9", "r1", "u1", "STANDARD", "PA_new")));
  settle(loop);
  EXPECT_EQ(sessions->started(), 3u);
}

TEST_F(CallAdmissionTest, QueuesBeyondMaxConcurrentAndAdmitsWhenACallEnds) {
  CallAdmission admission(loop, config_with({"*"}, 2), sessions);
  for (int i = 0; i < 3; ++i) admission.submit(event(participant_joined_body("EV_" + std::to_string(i), "m" + std::to_string(i), "u")));
  settle(loop);
  EXPECT_EQ(sessions->started(), 2u);
  EXPECT_EQ(admission.queued(), 1);
  admission.submit(event(simple_event_body("room_finished", "EV_f", "m0")));
  admission.submit(event(participant_joined_body("EV_again", "m2", "u", "STANDARD", "PA_u2")));
  settle(loop);
  EXPECT_EQ(sessions->started(), 3u);
  EXPECT_EQ(admission.queued(), 0);
  EXPECT_EQ(sessions->log->started[2].room, "m2");
}

TEST_F(CallAdmissionTest, InactiveRoomsAreCleanedUp) {
  auto c = std::make_shared<Config>(*config_with({"*"}));
  c->calls.inactivity_timeout = Millis(200);
  CallAdmission admission(loop, c, sessions);
  admission.submit(event(participant_joined_body("EV_1", "quiet", "u")));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (sessions->stopped() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(sessions->stopped(), 1u);
  EXPECT_EQ(sessions->log->stopped[0].second, StopReason::kInactive);
}

TEST_F(CallAdmissionTest, ASessionMayEndItselfFromAnyThread) {
  CallAdmission admission(loop, config_with({"*"}), sessions);
  admission.submit(event(participant_joined_body("EV_1", "s", "u")));
  settle(loop);
  std::function<void(std::string)> end;
  {
    std::lock_guard l(sessions->log->mutex);
    end = sessions->log->enders.at(0);
  }
  std::thread([&] { end("hung up"); end("twice"); }).join();
  settle(loop);
  settle(loop);
  EXPECT_EQ(admission.active(), 0);
  ASSERT_EQ(sessions->stopped(), 1u);
  EXPECT_EQ(sessions->log->stopped[0].second, StopReason::kEnded);
}

TEST_F(CallAdmissionTest, DrainQueuesNewCallsAndFinishesWhenTheLastCallEnds) {
  CallAdmission admission(loop, config_with({"*"}), sessions);
  admission.submit(event(participant_joined_body("EV_1", "d1", "u")));
  settle(loop);
  std::promise<void> drained;
  admission.begin_drain(Millis(60'000), [&] { drained.set_value(); });
  EXPECT_TRUE(admission.draining());
  admission.submit(event(participant_joined_body("EV_2", "d2", "u")));
  settle(loop);
  EXPECT_EQ(sessions->started(), 1u);
  EXPECT_EQ(admission.queued(), 1);
  auto fut = drained.get_future();
  EXPECT_EQ(fut.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  admission.submit(event(simple_event_body("participant_left", "EV_3", "d1", "u")));
  EXPECT_EQ(fut.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  // A draining instance answers no queued call: it stays for another instance.
  EXPECT_EQ(sessions->started(), 1u);
  EXPECT_EQ(admission.queued(), 1);
}

TEST_F(CallAdmissionTest, DrainTimeoutStopsWhatStillRuns) {
  CallAdmission admission(loop, config_with({"*"}), sessions);
  admission.submit(event(participant_joined_body("EV_1", "t1", "u")));
  settle(loop);
  std::promise<void> drained;
  admission.begin_drain(Millis(100), [&] { drained.set_value(); });
  ASSERT_EQ(drained.get_future().wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_EQ(sessions->stopped(), 1u);
  EXPECT_EQ(sessions->log->stopped[0].second, StopReason::kDrainTimeout);
}

TEST_F(CallAdmissionTest, NewConfigurationAppliesToNewCalls) {
  CallAdmission admission(loop, config_with({"old-*"}), sessions);
  admission.set_config(config_with({"new-*"}));
  admission.submit(event(participant_joined_body("EV_1", "old-1", "u")));
  admission.submit(event(participant_joined_body("EV_2", "new-1", "u")));
  settle(loop);
  ASSERT_EQ(sessions->started(), 1u);
  EXPECT_EQ(sessions->log->started[0].room, "new-1");
}

}  // namespace
}  // namespace parley::service
