#include "service/number_masking.h"

#include <gtest/gtest.h>

#include <mutex>

#include "core/log.h"
#include "livekit/webhook/webhook_event.h"
#include "service/call_record.h"

namespace parley::service {
namespace {

TEST(NumberMasking, MasksANumberKeepingCountryCodeAndLastFour) {
  EXPECT_EQ(mask_number("+15551234567"), "+1555***4567");
  EXPECT_EQ(mask_number("1000"), "****");
  EXPECT_EQ(mask_number(""), "");
}

TEST(NumberMasking, FindsNumbersInIdentitiesAndRoomNames) {
  EXPECT_EQ(mask_phone_numbers("sip_+15551234567"), "sip_+1555***4567");
  EXPECT_EQ(mask_phone_numbers("call_+15551234567_XyZ12"), "call_+1555***4567_XyZ12");
  EXPECT_EQ(mask_phone_numbers("call_84951234567_a"), "call_84951***4567_a");
  // Short digit runs are not numbers worth hiding (durations, extensions, ports).
  EXPECT_EQ(mask_phone_numbers("room-2026-12-04 port 5060"), "room-2026-12-04 port 5060");
  // A known short number is masked wherever it is (the caller's extension as identity).
  EXPECT_EQ(mask_phone_numbers("sip_1001", {"1001"}), "sip_****");
  // Known longer first: the '+' form is not left half-masked by its digits-only form.
  EXPECT_EQ(mask_phone_numbers("a +15551234567 b 15551234567", {"15551234567", "+15551234567"}),
            "a +1555***4567 b 15551***4567");
}

livekit::webhook::WebhookEvent sip_joined(const std::map<std::string, std::string>& attributes, const std::string& room,
                                          const std::string& identity) {
  nlohmann::json p = {{"sid", "PA_1"}, {"identity", identity}, {"state", "ACTIVE"}, {"kind", "SIP"},
                      {"attributes", attributes}};
  nlohmann::json ev = {{"event", "participant_joined"}, {"room", {{"sid", "RM_1"}, {"name", room}}},
                       {"participant", p}, {"id", "EV_1"}};
  return *livekit::webhook::parse_webhook_event(ev.dump());
}

// A call from `number` to +15559990000 as the bridge brings it in through an individual rule.
CallRecord inbound(const std::string& number) {
  return make_call_record(sip_joined({{"sip.callID", "SCL_in"}, {"sip.ruleID", "SDR_1"}, {"sip.phoneNumber", number},
                                      {"sip.trunkPhoneNumber", "+15559990000"}},
                                     "call_" + number + "_Ab", "sip_" + number),
                          {});
}

TEST(CallRecordNumbers, InboundAndOutboundPutTheNumbersTheRightWayRound) {
  auto in = inbound("+15551234567");
  EXPECT_EQ(in.direction, "inbound");
  EXPECT_EQ(in.sip_call_id, "SCL_in");
  EXPECT_EQ(in.call_id, "SCL_in");
  EXPECT_EQ(in.caller_number, "+15551234567");
  EXPECT_EQ(in.called_number, "+15559990000");
  // Outbound (parley call): no dispatch rule; sip.phoneNumber is the callee.
  auto out = make_call_record(sip_joined({{"sip.callID", "SCL_out"}, {"sip.phoneNumber", "+15551234567"},
                                          {"sip.trunkPhoneNumber", "+15559990000"}, {"sip.callStatus", "dialing"}},
                                         "out-1", "sip_+15551234567"),
                               {});
  EXPECT_EQ(out.direction, "outbound");
  EXPECT_EQ(out.caller_number, "+15559990000");
  EXPECT_EQ(out.called_number, "+15551234567");
}

class CallLoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log::set_sink([this](std::string_view line) {
      std::lock_guard lock(mutex_);
      lines_.emplace_back(line);
    });
    log::set_format(log::Format::kJson);
  }
  void TearDown() override {
    log::set_sink(nullptr);
    log::set_format(log::Format::kText);
  }
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

TEST_F(CallLoggerTest, EveryLineOfAMaskedCallHidesTheNumbersWhereverTheyAre) {
  auto r = inbound("+15551234567");
  auto logger = call_logger(r, true);
  // As other layers write them: the room's "track subscribed", the agent's summary.
  logger.info("track subscribed", {{"participant", r.caller_identity}});
  logger.with("x", 1).info("call ended", {{"call", {{"room", r.room}, {"caller", r.caller_identity}}}});
  ASSERT_EQ(lines_.size(), 2u);
  for (const auto& line : lines_) {
    EXPECT_EQ(line.find("1234567"), std::string::npos) << line;
    EXPECT_EQ(line.find("9990000"), std::string::npos) << line;
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["call_id"], "SCL_in");
    EXPECT_EQ(j["room"], "call_+1555***4567_Ab");
    EXPECT_EQ(j["caller_number"], "+1555***4567");
    EXPECT_EQ(j["called_number"], "+1555***0000");
  }
  EXPECT_EQ(nlohmann::json::parse(lines_[0])["participant"], "sip_+1555***4567");

  lines_.clear();
  call_logger(r, false).info("plain");
  auto j = nlohmann::json::parse(lines_.at(0));
  EXPECT_EQ(j["caller_number"], "+15551234567");
  EXPECT_EQ(j["room"], "call_+15551234567_Ab");
}

TEST_F(CallLoggerTest, AShortNumberIsMaskedInTheIdentityAndRoomButNotInOtherFigures) {
  auto r = inbound("1001");
  call_logger(r, true).info("track subscribed", {{"participant", "sip_1001"}, {"frames", 1001}});
  auto j = nlohmann::json::parse(lines_.at(0));
  EXPECT_EQ(j["participant"], "sip_****");
  EXPECT_EQ(j["room"], "call_****_Ab");
  EXPECT_EQ(j["caller_number"], "****");
  EXPECT_EQ(j["frames"], 1001);
}

}  // namespace
}  // namespace parley::service
