#include <gtest/gtest.h>

#include "livekit/rtc/data_channel.h"
#include "livekit/rtc/ice_candidate.h"

namespace parley::rtc {
namespace {

TEST(IceCandidate, ParsesPionTcpPassiveAndWritesItBack) {
  auto c = parse_ice_candidate("candidate:1827423851 1 tcp 1671430143 127.0.0.1 7881 typ host tcptype passive");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->transport, IceCandidate::Transport::kTcp);
  EXPECT_EQ(c->tcp_type, IceCandidate::TcpType::kPassive);
  EXPECT_EQ(c->port, 7881);
  EXPECT_EQ(c->priority, 1671430143u);
  auto again = parse_ice_candidate(c->to_string());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->to_string(), c->to_string());
}

TEST(IceCandidate, ParsesSrflxWithExtensionsAndUpperCase) {
  auto c = parse_ice_candidate("a=candidate:3 1 UDP 1686052607 1.2.3.4 46154 typ srflx raddr 10.0.0.17 rport 46154 generation 0 ufrag EEtu network-id 3");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->type, IceCandidate::Type::kSrflx);
  EXPECT_EQ(c->related_address, "10.0.0.17");
  EXPECT_EQ(c->related_port, 46154);
  EXPECT_FALSE(c->is_mdns());
  auto m = parse_ice_candidate("candidate:1 1 udp 1 3f2a-1b.local 5000 typ host");
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->is_mdns());
}

TEST(IceCandidate, RejectsGarbage) {
  for (const char* bad : {"", "candidate:", "candidate:1 1 udp 1 1.2.3.4 5 typ", "candidate:1 0 udp 1 1.2.3.4 5 typ host",
                          "candidate:1 1 sctp 1 1.2.3.4 5 typ host", "candidate:1 1 udp -1 1.2.3.4 5 typ host",
                          "candidate:1 1 udp 1 1.2.3.4 70000 typ host", "candidate:1 1 udp 1 1.2.3.4 5 type host",
                          "candidate:1 1 udp 1 1.2.3.4 5 typ weird", "candidate:1 1 tcp 1 1.2.3.4 5 typ host",
                          "candidate:1 1 tcp 1 1.2.3.4 5 typ host tcptype sideways", "nope"}) {
    auto c = parse_ice_candidate(bad);
    EXPECT_FALSE(c) << bad;
    if (!c) {
      EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Dcep, OpenRoundTripAndLiveKitChannelTypes) {
  DcepOpen lossy;
  lossy.channel_type = 0x81;  // partial reliable rexmit, unordered
  lossy.reliability = 0;
  lossy.label = "_lossy";
  auto parsed = parse_dcep(encode_dcep_open(lossy));
  ASSERT_TRUE(parsed && *parsed);
  EXPECT_EQ((*parsed)->label, "_lossy");
  EXPECT_FALSE((*parsed)->ordered());
  EXPECT_EQ((*parsed)->max_retransmits(), 0);
  DcepOpen reliable;
  reliable.label = "_reliable";
  auto r = parse_dcep(encode_dcep_open(reliable));
  ASSERT_TRUE(r && *r);
  EXPECT_TRUE((*r)->ordered());
  EXPECT_FALSE((*r)->max_retransmits());
  auto ack = parse_dcep(std::vector<uint8_t>{2});
  ASSERT_TRUE(ack);
  EXPECT_FALSE(*ack);
}

TEST(Dcep, RejectsGarbage) {
  for (const auto& bad : std::vector<std::vector<uint8_t>>{
           {}, {9}, {3, 0, 0}, {3, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {3, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 'a'}}) {
    auto r = parse_dcep(bad);
    EXPECT_FALSE(r);
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kProtocol);
    }
  }
}

}  // namespace
}  // namespace parley::rtc
