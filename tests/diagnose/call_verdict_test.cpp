// The test call's verdict: each combination of SIP answers and room observations names its
// step and cause. (The live test, diagnose_sip_test.sh, produces these from broken stacks.)
#include "diagnose/call_verdict.h"

#include <gtest/gtest.h>

namespace parley::diagnose {
namespace {

CallFacts facts() {
  CallFacts f;
  f.sip_address = "127.0.0.1:5060";
  f.number = "+15550100";
  f.caller = "+15550199";
  f.source_ip = "127.0.0.1";
  f.agent_name = "parley";
  f.agent_identity = "parley-agent";
  livekit::SipInboundTrunk t;
  t.sip_trunk_id = "ST_1";
  t.numbers = {"+1 (555) 010-0"};
  f.trunks = std::vector<livekit::SipInboundTrunk>{t};
  livekit::SipDispatchRule r;
  r.sip_dispatch_rule_id = "SDR_1";
  r.trunk_ids = {"ST_1"};
  f.rules = std::vector<livekit::SipDispatchRule>{r};
  return f;
}

PhoneState ringing() {
  PhoneState p;
  p.call_id = "abc";
  p.provisional = {{100, "Processing", 0.001}, {180, "Ringing", 0.005}};
  return p;
}

RoomObservation in_room() {
  RoomObservation r;
  r.room = "call-_+15550199_x";
  r.room_seen = 0.01;
  r.sip_joined = 0.02;
  r.sip_identity = "sip_+15550199";
  r.sip_attributes = {{"sip.ruleID", "SDR_1"}};
  return r;
}

TEST(CallVerdict, NothingAnswersMeansNoBridge) {
  PhoneState p;
  auto v = judge_call(p, {}, facts());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.failed_step, "sip_answer");
  EXPECT_NE(v.cause.find("the SIP bridge is not running"), std::string::npos);
  EXPECT_NE(v.fix.find("redis.address"), std::string::npos);
}

TEST(CallVerdict, Busy486WithoutRoomIsTheBridgesKeys) {
  auto p = ringing();
  p.final = SipResponse{486, "Rejected", 0.05};
  auto v = judge_call(p, {}, facts());
  EXPECT_EQ(v.failed_step, "room");
  EXPECT_NE(v.cause.find("cannot authenticate to the LiveKit server"), std::string::npos);
  EXPECT_NE(v.fix.find("api_secret"), std::string::npos);
}

TEST(CallVerdict, ServiceUnavailableIsTheServersRedis) {
  PhoneState p;
  p.provisional = {{100, "Processing", 0.001}};
  p.final = SipResponse{503, "Try again later", 3.0};
  auto v = judge_call(p, {}, facts());
  EXPECT_EQ(v.failed_step, "room");
  EXPECT_NE(v.cause.find("without Redis"), std::string::npos);
}

TEST(CallVerdict, ChallengeWithoutCredentialsAndRejectedCredentials) {
  auto f = facts();
  (*f.trunks)[0].auth_username = "provider";
  PhoneState p;
  p.provisional = {{100, "Processing", 0.001}};
  p.final = SipResponse{407, "Unauthorized", 0.002};
  auto v = judge_call(p, {}, f);
  EXPECT_NE(v.cause.find("requires digest authentication"), std::string::npos);
  EXPECT_NE(v.cause.find("provider"), std::string::npos);
  p.sent_credentials = true;
  p.final = SipResponse{401, "Unauthorized", 0.004};
  v = judge_call(p, {}, f);
  EXPECT_NE(v.cause.find("rejected the digest credentials"), std::string::npos);
}

TEST(CallVerdict, DroppedCallNamesTheReasonFromTheApi) {
  auto p = ringing();  // rang, then nothing; no room
  auto f = facts();
  f.rules->clear();
  EXPECT_NE(judge_call(p, {}, f).cause.find("there is no dispatch rule"), std::string::npos);

  f = facts();
  f.number = "+15550111";
  EXPECT_NE(judge_call(p, {}, f).cause.find("no inbound trunk lists the called number +15550111"), std::string::npos);

  f = facts();
  (*f.trunks)[0].allowed_addresses = {"192.0.2.0/24"};
  auto v = judge_call(p, {}, f);
  EXPECT_EQ(v.failed_step, "room");
  EXPECT_NE(v.cause.find("accepts calls only from [192.0.2.0/24]"), std::string::npos);

  f = facts();
  (*f.rules)[0].trunk_ids = {"ST_other"};
  EXPECT_NE(judge_call(p, {}, f).cause.find("no dispatch rule applies to trunk ST_1"), std::string::npos);
}

TEST(CallVerdict, NoAgentNamesTheRulesAgent) {
  auto f = facts();
  (*f.rules)[0].agent_names = {"someone-else"};
  auto v = judge_call(ringing(), in_room(), f);
  EXPECT_EQ(v.failed_step, "agent");
  EXPECT_NE(v.cause.find("dispatches agent 'someone-else'"), std::string::npos);
  EXPECT_NE(v.cause.find("agent.agent_name is 'parley'"), std::string::npos);

  v = judge_call(ringing(), in_room(), facts());
  EXPECT_NE(v.cause.find("`parley serve` is not running"), std::string::npos);
}

TEST(CallVerdict, AnsweredCallNeedsTheGreeting) {
  auto p = ringing();
  p.final = SipResponse{200, "OK", 0.2};
  auto room = in_room();
  room.agent_joined = 0.05;
  room.agent_identity = "parley-agent";
  p.audio.packets = 100;
  p.audio.peak_dbfs = -100;
  auto v = judge_call(p, room, facts());
  EXPECT_EQ(v.failed_step, "greeting");
  EXPECT_NE(v.cause.find("the agent said nothing"), std::string::npos);

  p.audio.first_voice = 0.7;
  p.audio.last_voice = 2.5;
  p.audio.voiced_packets = 90;
  p.audio.voiced_sum_dbfs = -25.0 * 90;
  p.audio.peak_dbfs = -15;
  p.hangup_sent = 4.0;
  p.bye_answer = SipResponse{200, "OK", 4.01};
  v = judge_call(p, room, facts());
  EXPECT_TRUE(v.ok) << v.cause;
  EXPECT_EQ(v.steps.size(), 7u);
  EXPECT_NE(v.steps[5].detail.find("1.80 s of speech, mean -25.0 dBFS"), std::string::npos);
  auto j = v.to_json();
  EXPECT_EQ(j["steps"][4]["at_seconds"], 0.2);
}

TEST(CallVerdict, NumbersAndAddresses) {
  EXPECT_EQ(normalize_number("+7 (495) 123-45-67"), "+74951234567");
  EXPECT_EQ(normalize_number("15550100"), "+15550100");
  EXPECT_EQ(normalize_number("alice"), "alice");
  EXPECT_TRUE(address_allowed("10.1.2.3", {"10.0.0.0/8"}));
  EXPECT_TRUE(address_allowed("127.0.0.1", {"192.0.2.1", "127.0.0.1"}));
  EXPECT_FALSE(address_allowed("127.0.0.1", {"192.0.2.0/24"}));
}

}  // namespace
}  // namespace parley::diagnose
