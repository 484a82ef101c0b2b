#include <gtest/gtest.h>

#include "livekit/signal/signal_dispatch.h"

namespace parley::livekit {
namespace {

namespace lk = ::livekit;

struct Recorder : SignalHandler {
  std::vector<std::string> calls;
  CandidateInit last_candidate;
  void on_join(const lk::JoinResponse& j) override { calls.push_back("join:" + j.participant().identity()); }
  void on_offer(const lk::SessionDescription& s) override { calls.push_back("offer:" + std::to_string(s.id())); }
  void on_answer(const lk::SessionDescription&) override { calls.push_back("answer"); }
  void on_trickle(lk::SignalTarget t, const CandidateInit& c, bool final) override {
    last_candidate = c;
    calls.push_back("trickle:" + std::to_string(t) + (final ? ":final" : ""));
  }
  void on_leave(const lk::LeaveRequest& l) override { calls.push_back("leave:" + std::to_string(l.action())); }
  void on_refresh_token(const std::string&) override { calls.push_back("token"); }
};

Status dispatch_bytes(const std::string& bytes, Recorder& r) {
  auto msg = parse_signal_response(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  if (!msg) return tl::unexpected(msg.error());
  return dispatch_signal_response(*msg, r);
}

TEST(SignalDispatch, RoutesEachCase) {
  Recorder r;
  lk::SignalResponse m;
  m.mutable_join()->mutable_participant()->set_sid("PA_1");
  m.mutable_join()->mutable_participant()->set_identity("me");
  ASSERT_TRUE(dispatch_bytes(m.SerializeAsString(), r));
  m.mutable_offer()->set_type("offer");
  m.mutable_offer()->set_sdp("v=0\r\n");
  m.mutable_offer()->set_id(7);
  ASSERT_TRUE(dispatch_bytes(m.SerializeAsString(), r));
  m.mutable_trickle()->set_candidateinit(R"({"candidate":"candidate:1 1 udp 2 127.0.0.1 7882 typ host","sdpMid":null,"sdpMLineIndex":null})");
  m.mutable_trickle()->set_target(lk::SUBSCRIBER);
  ASSERT_TRUE(dispatch_bytes(m.SerializeAsString(), r));
  EXPECT_EQ(r.last_candidate.sdp_mid, "");
  EXPECT_EQ(r.last_candidate.sdp_mline_index, -1);
  m.mutable_trickle()->set_candidateinit("");
  m.mutable_trickle()->set_final(true);
  ASSERT_TRUE(dispatch_bytes(m.SerializeAsString(), r));
  m.mutable_leave()->set_action(lk::LeaveRequest::RECONNECT);
  ASSERT_TRUE(dispatch_bytes(m.SerializeAsString(), r));
  m.set_refresh_token("x.y.z");
  ASSERT_TRUE(dispatch_bytes(m.SerializeAsString(), r));
  m.set_pong(5);  // legacy pong: ignored
  ASSERT_TRUE(dispatch_bytes(m.SerializeAsString(), r));
  EXPECT_EQ(r.calls, (std::vector<std::string>{"join:me", "offer:7", "trickle:1", "trickle:1:final", "leave:2", "token"}));
}

TEST(SignalDispatch, UnknownCasesAreIgnored) {
  Recorder r;
  // Field 26 (subscribed_audio_codec_update, not in parley's subset) with an empty message.
  std::string bytes("\xd2\x01\x00", 3);
  ASSERT_TRUE(dispatch_bytes(bytes, r));
  EXPECT_TRUE(r.calls.empty());
}

TEST(SignalDispatch, MalformedFramesAreProtocolErrors) {
  Recorder r;
  for (std::string bad : {std::string("\x0a\xff\xff\xff\xff\x0f", 6), std::string("\x0a\x05\x0a", 3),
                          std::string("\xff\xff\xff", 3), std::string("\x1a\x03\x0a\x01", 4)}) {
    auto s = dispatch_bytes(bad, r);
    ASSERT_FALSE(s) << "accepted " << bad.size() << " bytes";
    EXPECT_EQ(s.error().code, ErrorCode::kProtocol);
  }
  EXPECT_TRUE(r.calls.empty());
}

TEST(SignalDispatch, BrokenContentIsRejectedBeforeTheHandler) {
  Recorder r;
  lk::SignalResponse m;
  m.mutable_join();  // no participant
  EXPECT_FALSE(dispatch_bytes(m.SerializeAsString(), r));
  m.mutable_offer()->set_type("answer");
  m.mutable_offer()->set_sdp("v=0\r\n");
  EXPECT_FALSE(dispatch_bytes(m.SerializeAsString(), r));
  m.mutable_offer()->set_type("offer");
  m.mutable_offer()->set_sdp("<html>");
  EXPECT_FALSE(dispatch_bytes(m.SerializeAsString(), r));
  for (const char* c : {"not json", "[]", R"({"candidate":5})", R"({"candidate":"c","sdpMLineIndex":-1})",
                        R"({"candidate":"c","sdpMid":3})"}) {
    m.mutable_trickle()->set_candidateinit(c);
    EXPECT_FALSE(dispatch_bytes(m.SerializeAsString(), r)) << c;
  }
  m.mutable_trickle()->set_candidateinit(R"({"candidate":"c"})");
  m.mutable_trickle()->set_target(static_cast<lk::SignalTarget>(9));
  EXPECT_FALSE(dispatch_bytes(m.SerializeAsString(), r));
  m.set_refresh_token("");
  EXPECT_FALSE(dispatch_bytes(m.SerializeAsString(), r));
  EXPECT_TRUE(r.calls.empty());
}

TEST(CandidateInit, RoundTrips) {
  CandidateInit c{"candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", "0", 0, "abcd"};
  auto back = parse_candidate_init(format_candidate_init(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->candidate, c.candidate);
  EXPECT_EQ(back->sdp_mid, "0");
  EXPECT_EQ(back->sdp_mline_index, 0);
  EXPECT_EQ(back->username_fragment, "abcd");
  auto stripped = parse_candidate_init(R"({"candidate":"a=candidate:x"})");
  ASSERT_TRUE(stripped);
  EXPECT_EQ(stripped->candidate, "candidate:x");
}

}  // namespace
}  // namespace parley::livekit
