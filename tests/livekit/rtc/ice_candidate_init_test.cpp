#include <gtest/gtest.h>

#include "livekit/rtc/peer_connection.h"

namespace parley::rtc {
namespace {

TEST(IceCandidateInit, RoundTripsJson) {
  IceCandidateInit c{"candidate:1 1 udp 2130706431 127.0.0.1 7882 typ host", "0", 0, "abcd"};
  auto back = IceCandidateInit::from_json(c.to_json());
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->candidate, c.candidate);
  EXPECT_EQ(back->sdp_mid, "0");
  EXPECT_EQ(back->sdp_mline_index, 0);
  EXPECT_EQ(back->username_fragment, "abcd");
}

TEST(IceCandidateInit, AcceptsPionNulls) {
  auto c = IceCandidateInit::from_json(
      R"({"candidate":"candidate:2 1 tcp 1671430143 127.0.0.1 7881 typ host tcptype passive","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null})");
  ASSERT_TRUE(c) << c.error().to_string();
  EXPECT_EQ(c->sdp_mid, "");
  EXPECT_EQ(c->sdp_mline_index, 0);
}

TEST(IceCandidateInit, RejectsGarbage) {
  for (const char* bad : {"", "nope", "[1,2]", R"({"candidate":5})", R"({"candidate":"x"})",
                          R"({"candidate":"candidate:1","sdpMLineIndex":-1})", R"({"sdpMLineIndex":"0"})"}) {
    auto c = IceCandidateInit::from_json(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument) << bad;
  }
}

TEST(PeerState, Names) { EXPECT_EQ(to_string(PeerState::kConnected), "connected"); }

}  // namespace
}  // namespace parley::rtc
